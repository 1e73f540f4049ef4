"""The runners, registry and protection facets are registered, in the engine's order, as Facets."""

from __future__ import annotations

from provisioner.facets import FACETS, by_name
from provisioner.facets.base import Facet


def test_registered_after_settings_and_variables_in_order():
    names = [facet.name for facet in FACETS]
    mine = [names.index(name) for name in ("settings", "variables", "runners", "registry", "protection")]
    assert mine == sorted(mine)
    for name in ("runners", "registry", "protection"):
        assert isinstance(by_name(name), Facet)
