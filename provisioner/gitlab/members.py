"""Direct members of a project or a group (REFERENCE 2.9).

`owner` is the API prefix of the members' target: `/projects/12` or `/groups/3`. Only direct members
are read (`/members`, not `/members/all`): inherited ones belong to the groups above. Quirks kept here:
GitLab's dates (`expires_at` is a date, GraphQL's `expiresAt` a time), members added by user id
(usernames are looked up once per run), and a repeated add answering 409 "Member already exists".
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provisioner.errors import NotFound, Rejected
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once

MEMBERS = "members"
OWNER = 50


@dataclass(frozen=True)
class MemberRecord:
    user_id: int
    username: str
    access_level: int
    expires_at: date | None = None


def day(value: Any) -> date | None:
    """A date from `2026-12-31` or `2026-12-31T00:00:00Z` (GraphQL's Time), or None."""
    return date.fromisoformat(str(value)[:10]) if value else None


def to_record(entity: Mapping[str, Any]) -> MemberRecord:
    return MemberRecord(
        user_id=int(entity["id"]),
        username=str(entity["username"]),
        access_level=int(entity["access_level"]),
        expires_at=day(entity.get("expires_at")),
    )


def direct_members(api: GitLabApi, owner: str, cache_id: int | None = None) -> tuple[MemberRecord, ...]:
    """`cache_id`: the project's id, for the run cache (a group's members are not kept)."""

    def fetch() -> tuple[MemberRecord, ...]:
        return tuple(to_record(m) for m in api.list(f"{owner}/members"))

    return fetch() if cache_id is None else cache.read(api, cache_id, MEMBERS, fetch)


def owners_of(api: GitLabApi, group_id: int) -> frozenset[int]:
    """The users who are Owners of the group, directly or from a group above it (`/members/all`)."""
    found = api.list(f"/groups/{group_id}/members/all")
    return frozenset(int(m["id"]) for m in found if int(m.get("access_level") or 0) >= OWNER)


def user_id_of(api: GitLabApi, username: str) -> int | None:
    """The id of the user `username` (GitLab ignores case), once per run; None when there is none."""

    def fetch() -> int | None:
        found = api.list("/users", username=username)
        return int(found[0]["id"]) if found else None

    return cache.looked_up(api, "user_id", username.lower(), fetch)


def add(
    api: GitLabApi,
    owner: str,
    user_id: int,
    access_level: int,
    expires_at: date | None,
    cache_id: int | None = None,
) -> None:
    """POST is not idempotent: after an unknown outcome, look for the member before trying again."""
    data = {"user_id": user_id, "access_level": access_level, "expires_at": _day(expires_at)}
    try:
        answer = create_once(
            lambda: api.post(f"{owner}/members", data),
            lambda: api.get_optional(f"{owner}/members/{user_id}"),
        )
    except Rejected as exc:
        if exc.status != 409:
            raise
        answer = None  # "Member already exists": our lost attempt landed, or someone was faster
    _answered(api, cache_id, user_id, answer)


def update(
    api: GitLabApi,
    owner: str,
    user_id: int,
    access_level: int,
    expires_at: date | None,
    cache_id: int | None = None,
) -> None:
    data = {"access_level": access_level, "expires_at": _day(expires_at)}
    _answered(api, cache_id, user_id, api.put(f"{owner}/members/{user_id}", data))


def remove(api: GitLabApi, owner: str, user_id: int, cache_id: int | None = None) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"{owner}/members/{user_id}")
    if cache_id is not None:
        cache.answered(api, cache_id, MEMBERS, lambda kept: tuple(m for m in kept if m.user_id != user_id))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None  # null clears an expiry


def _answered(api: GitLabApi, cache_id: int | None, user_id: int, answer: Any) -> None:
    """The kept list after a write whose answer is the member entity; anything else proves nothing."""
    if cache_id is None:
        return
    if not (isinstance(answer, Mapping) and "access_level" in answer and "username" in answer):
        cache.unknown(api, cache_id, MEMBERS)
        return
    record = to_record(answer)
    cache.answered(api, cache_id, MEMBERS, lambda kept: (*(m for m in kept if m.user_id != user_id), record))
