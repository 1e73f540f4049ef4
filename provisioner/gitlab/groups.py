"""Groups (REFERENCE 2.2): find one by path, create one, list the groups and projects below one.

Quirks: `GET /groups/:id` embeds the group's projects unless `with_projects=false`; the project list
of a group leaves subgroups out unless `include_subgroups=true` and adds projects shared *into* the
group unless `with_shared=false`. A group create whose answer is lost is looked for before a retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import post_once
from provisioner.gitlab.transport import encode
from provisioner.model import GroupRef


@dataclass(frozen=True)
class GroupRecord:
    id: int
    full_path: str
    parent_id: int | None = None


def to_record(entity: Mapping[str, Any]) -> GroupRecord:
    parent = entity.get("parent_id")
    return GroupRecord(int(entity["id"]), str(entity["full_path"]), int(parent) if parent else None)


def find(api: GitLabApi, path: str) -> GroupRecord | None:
    """The group at `path`, or None when it is missing or this token cannot see it."""
    entity = api.get_optional(f"/groups/{encode(path)}", with_projects="false")
    return to_record(entity) if entity is not None else None


def find_ref(api: GitLabApi, path: str) -> GroupRef | None:
    """The group at `path` with its entity as read, or None when it is missing or invisible."""
    entity = api.get_optional(f"/groups/{encode(path)}", with_projects="false")
    if entity is None:
        return None
    return GroupRef(int(entity["id"]), str(entity["full_path"]), str(entity.get("web_url", "")), dict(entity))


def create(api: GitLabApi, path: str, *, parent_id: int | None) -> GroupRecord:
    """Create the group at full path `path` (its parent, when it has one, is `parent_id`)."""
    name = path.rpartition("/")[2]
    data: dict[str, Any] = {"name": name, "path": name}
    if parent_id is not None:
        data["parent_id"] = parent_id
    return to_record(post_once(api, "/groups", data, find=lambda: _entity(api, path)))


def _entity(api: GitLabApi, path: str) -> Mapping[str, Any] | None:
    found = find(api, path)
    return (
        None
        if found is None
        else {"id": found.id, "full_path": found.full_path, "parent_id": found.parent_id}
    )


def descendants(api: GitLabApi, group_id: int) -> list[GroupRecord]:
    """Every group below the group, at any depth."""
    return [to_record(g) for g in api.list(f"/groups/{group_id}/descendant_groups")]


def projects(api: GitLabApi, group_id: int, *, archived: bool = False) -> list[Mapping[str, Any]]:
    """The project entities of the group and its subgroups (not projects shared into it), by id.

    Each entity is also remembered in the run's cache, so that reading the projects one by one
    afterwards costs no second request."""
    listed = api.list(
        f"/groups/{group_id}/projects",
        include_subgroups="true",
        with_shared="false",
        archived="true" if archived else "false",
        order_by="id",
        sort="asc",
    )
    for entity in listed:
        cache.listed(api, entity)
    return listed
