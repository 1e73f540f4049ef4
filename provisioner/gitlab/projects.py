"""Projects: find by path, update attributes, create. The quirks of REFERENCE 2.1 live here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from provisioner.errors import AttributesRejected, Rejected
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once
from provisioner.gitlab.transport import encode
from provisioner.model import ProjectRef

# Accepted by PUT but silently ignored by POST /projects (REFERENCE 2.1, ✗ on create): after a
# create they need a follow-up PUT.
IGNORED_ON_CREATE = frozenset(
    {
        "ci_default_git_depth",
        "keep_latest_artifact",
        "ci_forward_deployment_enabled",
        "ci_forward_deployment_rollback_allowed",
        "ci_separated_caches",
        "ci_allow_fork_pipelines_to_run_in_parent_project",
        "ci_pipeline_variables_minimum_override_role",
        "restrict_user_defined_variables",
        "ci_push_repository_for_job_token_allowed",
        "ci_id_token_sub_claim_components",
        "ci_delete_pipelines_in_seconds",
        "max_artifacts_size",
    }
)


def to_ref(entity: Mapping[str, Any]) -> ProjectRef:
    return ProjectRef(
        id=int(entity["id"]),
        path=str(entity["path_with_namespace"]),
        default_branch=entity.get("default_branch"),
        empty_repo=bool(entity.get("empty_repo", False)),
        web_url=str(entity.get("web_url", "")),
        attributes=MappingProxyType(dict(entity)),
    )


def find(api: GitLabApi, path: str) -> ProjectRef | None:
    """The project at `path`, or None when it is missing or this token cannot see it (404)."""
    cached = cache.entity(api, path)
    if cached is not None:
        return to_ref(cached)
    entity = api.get_optional(f"/projects/{encode(path)}")
    return to_ref(entity) if entity is not None else None


def update(api: GitLabApi, project_id: int, attributes: Mapping[str, Any]) -> ProjectRef:
    """PUT /projects/:id; a refusal says which of `attributes` it names (`AttributesRejected`).

    The answer is the whole entity as GitLab now holds it (without the token's `permissions`, which a
    PUT leaves as they were [G:lib/api/projects.rb `present user_project, with: Entities::Project`]):
    kept, it is what finding the project serves until a later write changes the entity, so that
    verification compares with the answer instead of reading the project again."""
    cache.rewritten(api, project_id)
    try:
        answer = api.put(f"/projects/{project_id}", dict(attributes))
    except Rejected as exc:
        named = frozenset(name for name in attributes if _names(exc.message, name))
        raise AttributesRejected(exc, named) from exc
    cache.answered_entity(api, answer)
    return to_ref(answer)


# GitLab names what it refuses by the model's attribute, where that differs from the API's parameter
# [G:app/models/project.rb `visibility_level_allowed_by_group`], and a nested attribute written as
# `x_attributes` as `x_attributes[key]` (Grape's check of the parameter) or `x.key` (the model's).
_REFUSED_AS = {"visibility": ("visibility_level",)}


def _names(message: str, attribute: str) -> bool:
    said = (attribute, attribute.removesuffix("_attributes"), *_REFUSED_AS.get(attribute, ()))
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) for name in said)


def committed(api: GitLabApi, project_id: int) -> None:
    """A commit landed: in a repository that was empty it made the first branch, which the entity
    shows (`empty_repo`, `default_branch`); elsewhere the entity shows nothing of a commit."""
    kept = cache.kept_entity(api, project_id)
    if kept is not None and kept.get("empty_repo"):
        cache.rewritten(api, project_id)


def namespace_id(api: GitLabApi, namespace_path: str) -> int | None:
    group = api.get_optional(f"/groups/{encode(namespace_path)}", with_projects="false")
    return int(group["id"]) if group is not None else None


def create(
    api: GitLabApi, full_path: str, *, namespace_id: int | None, attributes: Mapping[str, Any]
) -> ProjectRef:
    """POST /projects. Not idempotent: on an unknown outcome, look for the project before retrying."""
    name = full_path.rpartition("/")[2]
    data: dict[str, Any] = {"path": name, "name": name}
    if namespace_id is not None:
        data["namespace_id"] = namespace_id
    data.update({k: v for k, v in attributes.items() if k not in IGNORED_ON_CREATE and k != "default_branch"})
    return create_once(lambda: to_ref(api.post("/projects", data)), lambda: find(api, full_path))
