"""Fixtures for the facet tests: the engine against the sandbox, a throwaway keyring (sandbox_world.py)."""

from tests.facets.sandbox_world import throwaway_keyring, world

__all__ = ["throwaway_keyring", "world"]
