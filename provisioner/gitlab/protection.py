"""Protected branches and tags (REFERENCE 2.12).

Levels are read from the role entries of `*_access_levels` (entries naming a user, a group or a deploy
key are Premium grants the inventory does not manage). What CE can change in place:
- a protected branch's PATCH takes `allow_force_push`, but `allowed_to_*` entries with an
  `access_level` exist only in Premium: CE declares `allowed_to_push` for deploy keys alone
  [G:lib/api/helpers/protected_branches_helpers.rb] and the docs mark the arrays Premium
  [G:doc/api/protected_branches.md]. A level change is therefore a delete and a create;
- CE does not show `unprotect_access_levels` at all [G:lib/api/entities/protected_branch.rb];
- protected tags have no update route.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.errors import NotFound
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import post_once
from provisioner.gitlab.transport import encode


@dataclass(frozen=True)
class BranchRule:
    name: str
    push: frozenset[int]
    merge: frozenset[int]
    unprotect: frozenset[int] | None  # None: this GitLab (CE) does not show it
    allow_force_push: bool = False
    # GitLab's handle for the rule (approval rules name protected branches by it), as a REST answer
    # showed it; None from bulk reads. Not part of what the rule is: a replaced rule gets a new one.
    id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class TagRule:
    name: str
    create: frozenset[int]


def role_levels(entries: Iterable[Mapping[str, Any]]) -> frozenset[int]:
    return frozenset(
        int(e["access_level"])
        for e in entries
        if e.get("access_level") is not None
        and e.get("user_id") is None
        and e.get("group_id") is None
        and e.get("deploy_key_id") is None
    )


def to_branch_rule(entity: Mapping[str, Any]) -> BranchRule:
    unprotect = entity.get("unprotect_access_levels")
    return BranchRule(
        name=str(entity["name"]),
        push=role_levels(entity.get("push_access_levels") or ()),
        merge=role_levels(entity.get("merge_access_levels") or ()),
        unprotect=role_levels(unprotect) if isinstance(unprotect, list) else None,
        allow_force_push=bool(entity.get("allow_force_push")),
        id=int(entity["id"]) if entity.get("id") is not None else None,
    )


BRANCHES = "protected_branches"
TAGS = "protected_tags"


def to_tag_rule(entity: Mapping[str, Any]) -> TagRule:
    return TagRule(str(entity["name"]), role_levels(entity.get("create_access_levels") or ()))


def protected_branches(api: GitLabApi, project_id: int) -> list[BranchRule]:
    path = f"/projects/{project_id}/protected_branches"
    return list(cache.read(api, project_id, BRANCHES, lambda: tuple(map(to_branch_rule, api.list(path)))))


def protected_tags(api: GitLabApi, project_id: int) -> list[TagRule]:
    path = f"/projects/{project_id}/protected_tags"
    return list(cache.read(api, project_id, TAGS, lambda: tuple(map(to_tag_rule, api.list(path)))))


def protect_branch(api: GitLabApi, project_id: int, body: Mapping[str, Any]) -> None:
    name = str(body["name"])
    answer = post_once(
        api,
        f"/projects/{project_id}/protected_branches",
        body,
        find=lambda: api.get_optional(f"/projects/{project_id}/protected_branches/{encode(name)}"),
    )
    _answered(api, project_id, BRANCHES, name, answer, to_branch_rule)


def update_branch(api: GitLabApi, project_id: int, name: str, body: Mapping[str, Any]) -> None:
    answer = api.patch(f"/projects/{project_id}/protected_branches/{encode(name)}", dict(body))
    _answered(api, project_id, BRANCHES, name, answer, to_branch_rule)


def unprotect_branch(api: GitLabApi, project_id: int, name: str) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/protected_branches/{encode(name)}")
    _answered(api, project_id, BRANCHES, name, None, to_branch_rule)


def protect_tag(api: GitLabApi, project_id: int, name: str, create_access_level: int) -> None:
    answer = post_once(
        api,
        f"/projects/{project_id}/protected_tags",
        {"name": name, "create_access_level": create_access_level},
        find=lambda: api.get_optional(f"/projects/{project_id}/protected_tags/{encode(name)}"),
    )
    _answered(api, project_id, TAGS, name, answer, to_tag_rule)


def unprotect_tag(api: GitLabApi, project_id: int, name: str) -> None:
    with contextlib.suppress(NotFound):
        api.delete(f"/projects/{project_id}/protected_tags/{encode(name)}")
    _answered(api, project_id, TAGS, name, None, to_tag_rule)


def _answered(
    api: GitLabApi, project_id: int, what: str, name: str, answer: Any, record: Callable[..., Any]
) -> None:
    """The kept rules after a write to the rule `name`: its answer (the rule, as the list shows it,
    also when it was found by a GET after a lost answer) replaces it; None says it is gone."""
    if answer is not None and not (isinstance(answer, Mapping) and answer.get("name") == name):
        cache.unknown(api, project_id, what)
        return
    rule = None if answer is None else record(answer)
    cache.answered(
        api,
        project_id,
        what,
        lambda kept: (*(r for r in kept if r.name != name), *(() if rule is None else (rule,))),
    )
