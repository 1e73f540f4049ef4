"""What the token may do: its scopes (read once per run) and its role on a target.

The role on a project is the entity's `permissions` (REFERENCE 2.1); on a group, the membership
`GET /groups/:id/members/all?user_ids=` shows (inherited ones included). Asking first turns a
cascade of 403s and missing fields, or a project half written, into one clear sentence. What GitLab
does not say (an administrator's `permissions` are empty; a token that may not read its own scopes)
is unknown, and then GitLab's own answers decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from provisioner.errors import ConfigError, GitLabError, Unobservable
from provisioner.gitlab import cache, identity
from provisioner.gitlab.api import GitLabApi
from provisioner.model import ProjectRef, Role, TargetRef

WRITE_SCOPES = frozenset({"api"})  # every REST write the facets make [G:lib/api/api_guard.rb]


@dataclass(frozen=True)
class TokenAccess:
    scopes: frozenset[str] | None  # None: GitLab did not say
    user_id: int | None = None


def token_access(api: GitLabApi) -> TokenAccess:
    """`GET /personal_access_tokens/self`, once per run. Tokens that cannot read themselves (OAuth,
    older GitLab: 401, 403, 404) leave the scopes unknown."""

    def fetch() -> TokenAccess:
        try:
            token = identity.token_self(api)
        except GitLabError:
            return TokenAccess(None)
        return TokenAccess(frozenset(token.scopes), token.user_id)

    return cache.looked_up(api, "token", "self", fetch)


def require_write_scope(api: GitLabApi) -> None:
    """Before an apply: a token whose scopes allow no write (read_api) stops it before any request."""
    scopes = token_access(api).scopes
    if scopes is not None and not scopes & WRITE_SCOPES:
        raise ConfigError(
            f"the token's scopes ({', '.join(sorted(scopes)) or 'none'}) allow no writes: apply needs a "
            "token with the api scope (read_api is enough for plan and check); nothing was written"
        )


def role_on(api: GitLabApi, target: TargetRef) -> int | None:
    """The token's role on `target`; None when GitLab does not say."""
    if isinstance(target, ProjectRef):
        if "permissions" in target.attributes:
            return access_level(target)
        entity = api.get(f"/projects/{target.id}")  # a listing that left `permissions` out
        return access_level(ProjectRef(target.id, target.path, None, attributes=entity))
    user_id = token_access(api).user_id
    if user_id is None:
        return None
    found = api.list(f"/groups/{target.id}/members/all", user_ids=user_id)
    levels = [int(m["access_level"]) for m in found if m.get("id") == user_id]
    return max(levels, default=None)  # not a member: an administrator, or GitLab decides


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


def role_name(level: int) -> str:
    known = {int(role): role.title for role in Role} | ROLE_NAMES
    return known.get(level, f"access level {level}")


def require_maintainer(project: ProjectRef) -> None:
    """The message names the cause only, the same for every facet: the report says it once per
    project and lists the facets it stopped (engine.worker.collapse)."""
    level = access_level(project)
    if level is not None and level < MAINTAINER:
        role = ROLE_NAMES.get(level, f"access level {level}")
        raise Unobservable(f"the token has the {role} role on this project; this needs Maintainer or higher")
