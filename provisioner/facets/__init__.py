"""The registry of facets, in the order the engine applies them, and the anchors of their targets.

Order matters: settings first (they may enable features the rest relies on); files are committed
before protection tightens the default branch (an empty repository gets its first commit first);
pipeline schedules come last (a schedule needs its branch, and its variables the settings that let
the token set pipeline variables).
Adding a facet means adding its module and one line in FACETS; the engine and `import` know no facet
by name. The anchors find (and create) the targets each kind of facet works on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.facets.approvals import ProjectApprovalRules, ProjectApprovalSettings
from provisioner.facets.base import Anchor, Facet, sections
from provisioner.facets.component import ProjectComponent
from provisioner.facets.deploy_keys import ProjectDeployKeys
from provisioner.facets.files import ProjectFiles
from provisioner.facets.group import GroupAnchor
from provisioner.facets.members import GroupMembers, ProjectMembers
from provisioner.facets.pipeline_schedules import ProjectPipelineSchedules
from provisioner.facets.project import ProjectAnchor
from provisioner.facets.protected_environments import GroupProtectedEnvironments, ProjectProtectedEnvironments
from provisioner.facets.protection import ProjectProtection
from provisioner.facets.push_rules import ProjectPushRules
from provisioner.facets.registries import ProjectRegistry
from provisioner.facets.runners import ProjectRunners
from provisioner.facets.settings import ProjectSettings
from provisioner.facets.shares import GroupShares, ProjectShares
from provisioner.facets.variables import GroupVariables, ProjectVariables
from provisioner.facets.webhooks import GroupWebhooks, ProjectWebhooks
from provisioner.inventory.schema import Sections
from provisioner.model import TargetKind

FACETS: tuple[Facet[Any], ...] = (
    GroupVariables(),
    GroupWebhooks(),
    GroupMembers(),
    GroupShares(),
    GroupProtectedEnvironments(),  # after members and shares: who it names must be a member already
    ProjectSettings(),
    ProjectVariables(),
    ProjectMembers(),
    ProjectShares(),
    ProjectRunners(),
    ProjectRegistry(),
    ProjectDeployKeys(),
    ProjectFiles(),
    ProjectComponent(),
    ProjectProtection(),
    ProjectProtectedEnvironments(),  # after members and shares, for the same reason
    # approval rules name protected branches: after protection
    ProjectApprovalSettings(),
    ProjectApprovalRules(),
    ProjectPushRules(),
    ProjectWebhooks(),
    ProjectPipelineSchedules(),
)
ANCHORS: Mapping[TargetKind, Anchor] = {TargetKind.PROJECT: ProjectAnchor(), TargetKind.GROUP: GroupAnchor()}


def registered() -> tuple[Facet[Any], ...]:
    """The facets as registered now (read at call time: a test may register one more)."""
    return FACETS


def inventory_sections() -> Sections:
    """The inventory sections the registered facets read, with their schemas (for the loader)."""
    return sections(registered())


def by_name(name: str) -> Facet[Any]:
    for facet in registered():
        if facet.name == name:
            return facet
    raise KeyError(name)
