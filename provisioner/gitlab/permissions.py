"""What the project entity says about the token's role (`permissions`, REFERENCE 2.1).

Runners, registry and protection need Maintainer. Asking first turns a cascade of 403s and missing
fields into one clear sentence. An absent or empty `permissions` (administrators, bulk listings)
says nothing, and then GitLab's own answers decide.
"""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.errors import Unobservable
from provisioner.model import ProjectRef

MAINTAINER = 40
ROLE_NAMES = {5: "Minimal Access", 10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer"}


def access_level(project: ProjectRef) -> int | None:
    permissions = project.attributes.get("permissions")
    if not isinstance(permissions, Mapping):
        return None
    levels = [
        int(access["access_level"])
        for access in (permissions.get("project_access"), permissions.get("group_access"))
        if isinstance(access, Mapping) and access.get("access_level") is not None
    ]
    return max(levels, default=None)


def require_maintainer(project: ProjectRef) -> None:
    """The message names the cause only, the same for every facet: the report says it once per
    project and lists the facets it stopped (engine.worker.collapse)."""
    level = access_level(project)
    if level is not None and level < MAINTAINER:
        role = ROLE_NAMES.get(level, f"access level {level}")
        raise Unobservable(f"the token has the {role} role on this project; this needs Maintainer or higher")
