"""The project itself: creating it when the inventory says `create: true` and it is missing.

Creation is not a facet in the registry: every other facet needs the project to exist, so the
engine asks this module first and then lets the facets converge the new project in the same run
(settings that POST /projects ignores are applied by the settings facet's follow-up PUT).
"""

from __future__ import annotations

from provisioner.errors import NotFound
from provisioner.gitlab import projects
from provisioner.gitlab.transport import GitLabApi
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef


def creation_change(spec: ProjectSpec) -> Change:
    visibility = spec.config.settings.visibility or "private"
    return Change("project", f"project {spec.path}", Action.CREATE, after={"visibility": visibility})


def create(api: GitLabApi, spec: ProjectSpec) -> ProjectRef:
    namespace = spec.path.rpartition("/")[0]
    namespace_id = projects.namespace_id(api, namespace) if namespace else None
    if namespace and namespace_id is None:
        raise NotFound("GET", f"/groups/{namespace}", 404, f"group {namespace} not found or not visible")
    attributes = spec.config.settings.model_dump(exclude_none=True)
    return projects.create(api, spec.path, namespace_id=namespace_id, attributes=attributes)
