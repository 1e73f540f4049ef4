"""Projects and groups shared with groups (REFERENCE 2.1, 2.2): GitLab's group links.

What is shared is read from the entity itself: a project's `shared_with_groups` (in group listings
too, so the bulk read of entities covers it) and a group's (`GET /groups/:id`, GroupDetail). Each
lists only the groups the token can see. There is no route that changes a share: a new role or
expiry is a removal and a new share. A group share removed by a token below Owner is answered 204
and stays [G:lib/api/groups.rb]: only reading again shows it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provisioner.errors import NotFound, Unobservable
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.members import day
from provisioner.gitlab.once import post_once


@dataclass(frozen=True)
class ShareRecord:
    group_id: int
    group_path: str  # the shared-with group's full path
    access_level: int
    expires_at: date | None = None


def shares_of(entity: Mapping[str, Any]) -> tuple[ShareRecord, ...]:
    """The shares an entity (a project's or a group's) lists; Unobservable when it has no such list."""
    listed = entity.get("shared_with_groups")
    if not isinstance(listed, list):
        raise Unobservable("GitLab did not list what this is shared with (shared_with_groups)")
    return tuple(
        ShareRecord(
            group_id=int(s["group_id"]),
            group_path=str(s.get("group_full_path") or s.get("group_name") or s["group_id"]),
            access_level=int(s["group_access_level"]),
            expires_at=day(s.get("expires_at")),
        )
        for s in listed
    )


def share_project(api: GitLabApi, project_id: int, share: ShareRecord) -> None:
    data = {
        "group_id": share.group_id,
        "group_access": share.access_level,
        "expires_at": _day(share.expires_at),
    }
    post_once(
        api, f"/projects/{project_id}/share", data, find=lambda: _shared(api, project_id, share.group_id)
    )
    # The entity lists the shares: GitLab made this one as asked (it refuses what it would not keep).
    listed = {
        "group_id": share.group_id,
        "group_full_path": share.group_path,
        "group_access_level": share.access_level,
        "expires_at": _day(share.expires_at),
    }
    cache.entity_answered(api, project_id, lambda e: _with_shares(e, [*_others(e, share.group_id), listed]))


def unshare_project(api: GitLabApi, project_id: int, group_id: int) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/share/{group_id}")
    cache.entity_answered(api, project_id, lambda e: _with_shares(e, _others(e, group_id)))


def _others(entity: Mapping[str, Any], group_id: int) -> list[Any]:
    return [s for s in entity.get("shared_with_groups") or () if int(s["group_id"]) != group_id]


def _with_shares(entity: Mapping[str, Any], shares: list[Any]) -> dict[str, Any]:
    return {**entity, "shared_with_groups": shares}


def _shared(api: GitLabApi, project_id: int, group_id: int) -> ShareRecord | None:
    entity = api.get(f"/projects/{project_id}")
    return next((s for s in shares_of(entity) if s.group_id == group_id), None)


def group_shares(api: GitLabApi, group_id: int) -> tuple[ShareRecord, ...]:
    return shares_of(api.get(f"/groups/{group_id}", with_projects="false"))


def share_group(
    api: GitLabApi, group_id: int, with_group_id: int, access_level: int, expires_at: date | None
) -> None:
    data = {"group_id": with_group_id, "group_access": access_level, "expires_at": _day(expires_at)}

    def find() -> ShareRecord | None:
        return next((s for s in group_shares(api, group_id) if s.group_id == with_group_id), None)

    post_once(api, f"/groups/{group_id}/share", data, find=find)


def unshare_group(api: GitLabApi, group_id: int, with_group_id: int) -> None:
    with contextlib.suppress(NotFound):
        api.delete(f"/groups/{group_id}/share/{with_group_id}")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
