"""CI/CD job token scope and its allowlists (REFERENCE 2.5).

Quirks: the setting is read as `inbound_enabled` and written as `enabled` with a PATCH that answers
204 with no body; the allowlist routes take numeric ids only, so paths are resolved once per run;
the project allowlist always lists the project itself [G:app/models/ci/job_token/allowlist.rb].

From GitLab 17.6 an administrator can enforce every project's inbound allowlist (on by default, and
on every upgraded instance, from 18.0): REST's `inbound_enabled` is then true whatever the project
says, a PATCH to false answers 204 and changes only the project's own setting, and GraphQL's
`inboundJobTokenScopeEnabled` shows that own setting [G:lib/api/entities/project_job_token_scope.rb
`ci_inbound_job_token_scope_enabled?`, spec/models/project_spec.rb; app/graphql/types/ci/
ci_cd_setting_type.rb]. So REST decides what GitLab enforces. The project's own setting only tells
why: own false while REST says true is the instance's doing. Own true means REST says true too
(enforced = own or instance), which spares the REST read in bulk runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from provisioner.errors import GitLabError, NotFound, Rejected, Unobservable
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import post_once
from provisioner.gitlab.transport import encode
from provisioner.gitlab_versions import available
from provisioner.model import ProjectRef


@dataclass(frozen=True)
class AllowlistEntry:
    id: int
    path: str  # full path, for people; the API speaks ids


SCOPE = "job_token_scope"
OWN = "job_token_own_inbound"  # the project's own setting, as GraphQL shows it (or our write set it)
PROJECTS = "job_token_allowlist"
GROUPS = "job_token_groups_allowlist"
ENFORCE = "setting:enforce_ci_inbound_job_token_scope_enabled"
_OWN_QUERY = "query($p: ID!) { project(fullPath: $p) { ciCdSettings { inboundJobTokenScopeEnabled } } }"


@dataclass(frozen=True)
class InboundScope:
    enabled: bool  # what GitLab enforces (REST `inbound_enabled`)
    by_instance: bool = False  # known to be on because the instance enforces every project's allowlist


def inbound_enabled(api: GitLabApi, project_id: int) -> bool:
    """What GitLab enforces for the project (REST), whoever decided it."""
    scope = cache.read(api, project_id, SCOPE, lambda: api.get(f"/projects/{project_id}/job_token_scope"))
    if "inbound_enabled" not in scope:
        raise Unobservable("GitLab did not say whether the job token scope is limited (inbound_enabled)")
    return bool(scope["inbound_enabled"])


def inbound_scope(api: GitLabApi, project: ProjectRef, *, wanted: bool) -> InboundScope:
    """What GitLab enforces, and whether the instance is why. The project's own setting is asked of
    GraphQL only when it matters and bulk reads did not tell it: the inventory wants the scope off and
    GitLab says it is on (one query, without administrator rights)."""
    own = cache.bulk_only(api, project.id, OWN)
    enforceable = available(ENFORCE, api.server())
    if own is True or (own is False and not enforceable):
        return InboundScope(bool(own))  # what GitLab enforces is the project's own setting or more
    enabled = inbound_enabled(api, project.id)
    if not (enabled and enforceable) or wanted:
        return InboundScope(enabled, by_instance=own is False and enabled)
    if own is cache.MISSING:
        own = own_setting(api, project)
    return InboundScope(True, by_instance=own is False)


def own_setting(api: GitLabApi, project: ProjectRef) -> bool | None:
    """The project's own `inbound_job_token_scope_enabled` (GraphQL), None when GitLab did not say."""

    def fetch() -> bool | None:
        try:
            answer = api.graphql(_OWN_QUERY, {"p": project.path})
        except GitLabError:
            return None
        settings = (((answer or {}).get("data") or {}).get("project") or {}).get("ciCdSettings") or {}
        value = settings.get("inboundJobTokenScopeEnabled")
        return value if isinstance(value, bool) else None

    return cache.read(api, project.id, OWN, fetch)


def set_inbound(api: GitLabApi, project_id: int, enabled: bool) -> None:
    api.patch(f"/projects/{project_id}/job_token_scope", {"enabled": enabled})
    cache.unknown(api, project_id, SCOPE)  # 204 without a body: only a read shows what GitLab enforces
    # ... but the project's own setting is what was written (Projects::UpdateService stored it).
    cache.unknown(api, project_id, OWN)
    cache.read(api, project_id, OWN, lambda: enabled)


def allowed_projects(api: GitLabApi, project_id: int) -> list[AllowlistEntry]:
    """Projects whose job tokens may reach this one, without the project itself."""
    path = f"/projects/{project_id}/job_token_scope/allowlist"
    listed = cache.read(api, project_id, PROJECTS, lambda: tuple(api.list(path)))
    return [
        AllowlistEntry(int(p["id"]), str(p.get("path_with_namespace") or p.get("name") or p["id"]))
        for p in listed
        if int(p["id"]) != project_id
    ]


def allowed_groups(api: GitLabApi, project_id: int) -> list[AllowlistEntry]:
    path = f"/projects/{project_id}/job_token_scope/groups_allowlist"
    listed = cache.read(api, project_id, GROUPS, lambda: tuple(api.list(path)))
    return [AllowlistEntry(int(g["id"]), _group_path(g)) for g in listed]


def _group_path(group: Mapping[str, Any]) -> str:
    """The list answers `{id, web_url, name}`: the full path is the web URL's path."""
    if group.get("full_path"):
        return str(group["full_path"])
    path = urlsplit(str(group.get("web_url") or "")).path.strip("/")
    path = path.removeprefix("groups/")
    return path or str(group.get("name") or group["id"])


def add_project(api: GitLabApi, project_id: int, target_id: int) -> None:
    answer = _add(
        api,
        f"/projects/{project_id}/job_token_scope/allowlist",
        {"target_project_id": target_id},
        find=lambda: _listed(api, project_id, target_id, PROJECTS, allowed_projects),
    )
    _added(api, project_id, PROJECTS, "target_project_id", target_id, answer)


def add_group(api: GitLabApi, project_id: int, target_id: int) -> None:
    answer = _add(
        api,
        f"/projects/{project_id}/job_token_scope/groups_allowlist",
        {"target_group_id": target_id},
        find=lambda: _listed(api, project_id, target_id, GROUPS, allowed_groups),
    )
    _added(api, project_id, GROUPS, "target_group_id", target_id, answer)


def _add(api: GitLabApi, path: str, data: Mapping[str, Any], find: Any) -> Any:
    """An entry that is there already (added since the list was read, or by our own attempt whose
    answer was lost) is refused: 400 "Target project|group is already in the job token scope", from
    the unique index [G:app/services/ci/job_token_scope/add_project_service.rb, add_group_service.rb
    `rescue ActiveRecord::RecordNotUnique`]. It is what was wanted; None: read again to verify."""
    try:
        return post_once(api, path, data, find=find)
    except Rejected as exc:
        if "is already in the job token scope" not in exc.message:
            raise
        return None


def _added(api: GitLabApi, project_id: int, what: str, key: str, target_id: int, answer: Any) -> None:
    """The answer is the link `{source_project_id, target_..._id}`, where the list shows the target
    itself: what the comparison uses, its id, is in it; its name is only a label, never compared."""
    if isinstance(answer, AllowlistEntry):
        return  # found by a fresh read after a lost answer, and kept as read
    if not (isinstance(answer, Mapping) and answer.get(key) == target_id):
        cache.unknown(api, project_id, what)
        return
    cache.answered(api, project_id, what, lambda kept: (*kept, {"id": target_id}))


def remove_project(api: GitLabApi, project_id: int, target_id: int) -> None:
    _remove(api, f"/projects/{project_id}/job_token_scope/allowlist/{target_id}")
    _removed(api, project_id, PROJECTS, target_id)


def remove_group(api: GitLabApi, project_id: int, target_id: int) -> None:
    _remove(api, f"/projects/{project_id}/job_token_scope/groups_allowlist/{target_id}")
    _removed(api, project_id, GROUPS, target_id)


def _removed(api: GitLabApi, project_id: int, what: str, target_id: int) -> None:
    cache.answered(api, project_id, what, lambda kept: tuple(e for e in kept if int(e["id"]) != target_id))


def _remove(api: GitLabApi, path: str) -> None:
    """A DELETE retried after a lost answer finds nothing to remove: GitLab answers 400 "Target ...
    is not in the job token scope" [G:app/services/ci/job_token_scope/remove_project_service.rb]."""
    try:
        api.delete(path)
    except NotFound:
        pass
    except Rejected as exc:
        if "is not in the job token scope" not in exc.message:
            raise


def _listed(api: GitLabApi, project_id: int, target_id: int, what: str, read: Any) -> AllowlistEntry | None:
    cache.unknown(api, project_id, what)
    return next((e for e in read(api, project_id) if e.id == target_id), None)


# -- paths to ids, once per run -----------------------------------------------------------------
def project_id_of(api: GitLabApi, path: str) -> int | None:
    """The id of the project at `path`, or None when it is missing or invisible to this token."""

    def fetch() -> int | None:
        entity = cache.entity(api, path) or api.get_optional(f"/projects/{encode(path)}")
        return int(entity["id"]) if entity is not None else None

    return cache.looked_up(api, "project_id", path, fetch)


def group_id_of(api: GitLabApi, path: str) -> int | None:

    def fetch() -> int | None:
        entity = api.get_optional(f"/groups/{encode(path)}", with_projects="false")
        return int(entity["id"]) if entity is not None else None

    return cache.looked_up(api, "group_id", path, fetch)
