"""The registry of facets, in the order the engine applies them.

Order matters: settings first (they may enable features the rest relies on); files are committed
before protection tightens the default branch (an empty repository gets its first commit first).
Adding a facet means adding its module and one line here; the engine knows no facet by name.
"""

from __future__ import annotations

from provisioner.facets.base import Facet, GroupFacet
from provisioner.facets.protection import ProjectProtection
from provisioner.facets.registry import ProjectRegistry
from provisioner.facets.runners import ProjectRunners
from provisioner.facets.settings import ProjectSettings
from provisioner.facets.variables import GroupVariables, ProjectVariables

PROJECT_FACETS: tuple[Facet, ...] = (
    ProjectSettings(),
    ProjectVariables(),
    ProjectRunners(),
    ProjectRegistry(),
    ProjectProtection(),
)
GROUP_FACETS: tuple[GroupFacet, ...] = (GroupVariables(),)


def by_name(name: str) -> Facet:
    for facet in PROJECT_FACETS:
        if facet.name == name:
            return facet
    raise KeyError(name)
