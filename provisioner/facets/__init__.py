"""The registry of facets, in the order the engine applies them.

Order matters: the project must exist before anything else; files are committed before protection
tightens the default branch (an empty repository gets its first commit first).
"""

from __future__ import annotations

from provisioner.facets.base import Facet, GroupFacet

PROJECT_FACETS: tuple[Facet, ...] = ()
GROUP_FACETS: tuple[GroupFacet, ...] = ()


def by_name(name: str) -> Facet:
    for facet in PROJECT_FACETS:
        if facet.name == name:
            return facet
    raise KeyError(name)
