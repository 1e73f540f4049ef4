"""The project itself, the anchor of the project facets: found by path, created when the inventory says
`create: true`.

Creation is not a facet: every facet needs the project to exist, so the engine asks the anchor first
and then lets the facets converge the new project in the same run (settings that POST /projects
ignores are applied by the settings facet's follow-up PUT).
Groups are created only when asked (`bootstrap --create-groups`); otherwise a missing namespace is
an error that says how to proceed, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.errors import NotFound, ProvisionerError
from provisioner.gitlab import groups, projects
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, TargetKind


class MissingNamespace(ProvisionerError):
    """The group a new project should go in does not exist (or the token cannot see it)."""


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


class ProjectAnchor:
    kind = TargetKind.PROJECT

    def find(self, api: GitLabApi, spec: ProjectSpec) -> ProjectRef | None:
        return projects.find(api, spec.path)

    def creation(self, spec: ProjectSpec) -> Change | None:
        return creation_change(spec) if spec.config.create else None

    def create(self, api: GitLabApi, spec: ProjectSpec) -> None:
        create(api, spec)

    def update(self, api: GitLabApi, project: ProjectRef, attributes: Mapping[str, Any]) -> None:
        projects.update(api, project.id, attributes)

    def missing(self, spec: ProjectSpec) -> str:
        return "project not found, or not visible to this token (set create: true to create it)"


def ensure_namespace(api: GitLabApi, namespace: str, *, create_groups: bool) -> tuple[str, ...]:
    """Make sure the group `namespace` exists, creating it and its missing parents only when
    `create_groups`; returns the paths of the groups created, top first. Reads only when it exists."""
    if groups.find(api, namespace) is not None:
        return ()
    parts = namespace.split("/")
    parent: int | None = None
    created: list[str] = []
    for depth in range(1, len(parts) + 1):
        path = "/".join(parts[:depth])
        found = groups.find(api, path) if not created else None
        if found is None:
            if not create_groups:
                raise MissingNamespace(
                    f"group {path} does not exist (or this token cannot see it): "
                    "create it in GitLab, or pass --create-groups"
                )
            found = groups.create(api, path, parent_id=parent)
            created.append(path)
        parent = found.id
    return tuple(created)
