"""Specs as the loader makes them from inventory text: with the sections the registered facets bring
and their `secret:` references resolved (what `spec()` of sandbox_world.py cannot give)."""

from __future__ import annotations

from provisioner.facets import inventory_sections
from provisioner.inventory.loader import load_inventory
from provisioner.inventory.spec import ProjectSpec
from tests.facets.sandbox_world import World


def specs_from(world: World, text: str) -> list[ProjectSpec]:
    path = world.inventory_dir / "inventory.yaml"
    path.write_text(text)
    return list(load_inventory(path, sections=inventory_sections(), check_blueprint=lambda *_: []).projects)
