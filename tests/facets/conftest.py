"""Fixtures for the facet tests: the sandbox world and a throwaway keyring (tests/facets/sandbox_world.py)."""

from tests.facets.sandbox_world import facets_server, test_keyring, world

__all__ = ["facets_server", "test_keyring", "world"]
