"""Protected environments of a project or a group (GitLab Premium) [G:ee/lib/api/protected_environments.rb,
doc/api/protected_environments.md, doc/api/group_protected_environments.md].

An environment's rule is its name (a group's: a deployment tier), who may deploy
(`deploy_access_levels`, at least one) and whose approvals a deployment waits for (`approval_rules`,
each with `required_approvals`). Each entry is a role (`access_level`), a user (`user_id`) or a group
(`group_id`, with `group_inheritance_type` 1 when its subgroups' members count). The quirks:
- GitLab drops a user or group it does not accept (a user who is not a Developer member of the project,
  a group the project is not shared with) without a word [G:ee/app/services/protected_environments/
  base_service.rb]: such a write answers success and does not stick;
- an update (`PUT`, GitLab 15.4+) changes entries through nested attributes: `{"id": n, "_destroy": true}`
  removes one, an entry without an id adds one;
- the Community Edition has none of these routes (404).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from provisioner.errors import NotFound
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import post_once
from provisioner.gitlab.transport import encode

FEATURE = "rest:GET /projects/:id/protected_environments"
GROUP_FEATURE = "rest:GET /groups/:id/protected_environments"
Container = Literal["projects", "groups"]
RULES = "protected_environments"
INHERITED = (
    1  # GROUP_INHERITANCE_TYPE[:ALL] [G:ee/app/models/concerns/protected_environments/authorizable.rb]
)


@dataclass(frozen=True)
class Access:
    """One deploy access level or approval rule, as GitLab shows it."""

    id: int
    level: int | None = None
    user_id: int | None = None
    group_id: int | None = None
    inherited: bool = False
    required: int | None = None  # approval rules: required_approvals

    @property
    def who(self) -> tuple[str, int, bool]:
        if self.user_id is not None:
            return ("user", self.user_id, False)
        if self.group_id is not None:
            return ("group", self.group_id, self.inherited)
        return ("role", self.level or 0, False)


@dataclass(frozen=True)
class EnvironmentRule:
    name: str
    deploy: tuple[Access, ...]
    approvals: tuple[Access, ...] = ()


def to_access(entity: Mapping[str, Any]) -> Access:
    def number(key: str) -> int | None:
        value = entity.get(key)
        return int(value) if value is not None else None

    return Access(
        id=int(entity.get("id") or 0),
        level=number("access_level"),
        user_id=number("user_id"),
        group_id=number("group_id"),
        inherited=entity.get("group_inheritance_type") == INHERITED,
        required=number("required_approvals"),
    )


def to_rule(entity: Mapping[str, Any]) -> EnvironmentRule:
    return EnvironmentRule(
        name=str(entity["name"]),
        deploy=tuple(map(to_access, entity.get("deploy_access_levels") or ())),
        approvals=tuple(map(to_access, entity.get("approval_rules") or ())),
    )


def entry(who: tuple[str, int, bool], required: int | None = None) -> dict[str, Any]:
    """The request body of one entry: who, and for an approval rule how many approvals."""
    kind, ident, inherited = who
    body: dict[str, Any] = {{"role": "access_level", "user": "user_id", "group": "group_id"}[kind]: ident}
    if kind == "group":
        body["group_inheritance_type"] = INHERITED if inherited else 0
    if required is not None:
        body["required_approvals"] = required
    return body


def changed_entries(
    have: Iterable[Access], keep: Iterable[Access], add: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The nested attributes of an update: every entry not kept is destroyed, the new ones added."""
    kept = {a.id for a in keep}
    return [*({"id": a.id, "_destroy": True} for a in have if a.id not in kept), *map(dict, add)]


def rules(api: GitLabApi, container: Container, container_id: int) -> list[EnvironmentRule]:
    path = f"/{container}/{container_id}/protected_environments"
    if container == "groups":
        return [to_rule(e) for e in api.list(path)]  # a group's reads are not kept (ids are projects')
    return list(cache.read(api, container_id, RULES, lambda: tuple(to_rule(e) for e in api.list(path))))


def protect(api: GitLabApi, container: Container, container_id: int, body: Mapping[str, Any]) -> None:
    base = f"/{container}/{container_id}/protected_environments"
    name = str(body["name"])
    answer = post_once(api, base, body, find=lambda: api.get_optional(f"{base}/{encode(name)}"))
    _answered(api, container, container_id, name, answer)


def update(
    api: GitLabApi, container: Container, container_id: int, name: str, body: Mapping[str, Any]
) -> None:
    answer = api.put(f"/{container}/{container_id}/protected_environments/{encode(name)}", dict(body))
    _answered(api, container, container_id, name, answer)


def unprotect(api: GitLabApi, container: Container, container_id: int, name: str) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/{container}/{container_id}/protected_environments/{encode(name)}")
    _answered(api, container, container_id, name, None)


def _answered(api: GitLabApi, container: Container, container_id: int, name: str, answer: Any) -> None:
    """The kept rules after a write to `name`: its answer (the whole rule, as the list shows it) replaces
    it; None: it is gone."""
    if container == "groups":
        return
    if answer is not None and not (isinstance(answer, Mapping) and answer.get("name") == name):
        cache.unknown(api, container_id, RULES)
        return
    rule = None if answer is None else to_rule(answer)
    cache.answered(
        api,
        container_id,
        RULES,
        lambda kept: (*(r for r in kept if r.name != name), *(() if rule is None else (rule,))),
    )


# -- names to ids and back, once per run ----------------------------------------------------------
def user_id_of(api: GitLabApi, username: str) -> int | None:
    """The id of the user with this username (GitLab ignores case), or None when there is none."""

    def fetch() -> int | None:
        found = api.get("/users", username=username)
        return int(found[0]["id"]) if found else None

    return cache.looked_up(api, "user_id", username.lower(), fetch)


def username_of(api: GitLabApi, user_id: int) -> str | None:
    def fetch() -> str | None:
        entity = api.get_optional(f"/users/{user_id}")
        return str(entity["username"]) if entity is not None else None

    return cache.looked_up(api, "username", str(user_id), fetch)


def group_path_of(api: GitLabApi, group_id: int) -> str | None:
    def fetch() -> str | None:
        entity = api.get_optional(f"/groups/{group_id}", with_projects="false")
        return str(entity["full_path"]) if entity is not None else None

    return cache.looked_up(api, "group_path", str(group_id), fetch)
