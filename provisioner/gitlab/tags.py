"""Repository tags [G:lib/api/tags.rb, doc/api/tags.md]: a component's versions.

A tag is never moved: the tool creates one (`POST`, at a branch's head) and otherwise only reads them.
`Tags::CreateService` answers an existing tag with 400 "Tag NAME already exists" (its status 409 is not
passed on), which is also how a create whose answer was lost is recognised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import post_once
from provisioner.gitlab.transport import encode


@dataclass(frozen=True)
class Tag:
    name: str
    commit_id: str


def to_tag(entity: Mapping[str, Any]) -> Tag:
    commit = entity.get("commit") or {}
    return Tag(str(entity["name"]), str(commit.get("id") or entity.get("target") or ""))


def tag(api: GitLabApi, project_id: int, name: str) -> Tag | None:
    found = api.get_optional(f"/projects/{project_id}/repository/tags/{encode(name)}")
    return to_tag(found) if found is not None else None


def create_tag(api: GitLabApi, project_id: int, name: str, ref: str, message: str) -> Tag:
    answer = post_once(
        api,
        f"/projects/{project_id}/repository/tags",
        {"tag_name": name, "ref": ref, "message": message},
        find=lambda: api.get_optional(f"/projects/{project_id}/repository/tags/{encode(name)}"),
    )
    return to_tag(answer)


def tag_names(api: GitLabApi, project_path: str) -> tuple[str, ...] | None:
    """The tags of the project at `project_path`, read once per run (None: no such project for this
    token). Many projects pin a version of one component project: they share this one read."""

    def fetch() -> tuple[str, ...] | None:
        path = f"/projects/{encode(project_path)}/repository/tags"
        if api.get_optional(f"/projects/{encode(project_path)}") is None:
            return None
        return tuple(str(t["name"]) for t in api.list(path))

    return cache.looked_up(api, "tag_names", project_path, fetch)
