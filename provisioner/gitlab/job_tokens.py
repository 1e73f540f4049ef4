"""CI/CD job token scope and its allowlists (REFERENCE 2.5).

Quirks: the setting is read as `inbound_enabled` and written as `enabled` with a PATCH that answers
204 with no body; the allowlist routes take numeric ids only, so paths are resolved once per run;
the project allowlist always lists the project itself [G:app/models/ci/job_token/allowlist.rb].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from provisioner.errors import Unobservable
from provisioner.gitlab.cache import MISSING
from provisioner.gitlab.once import post_once
from provisioner.gitlab.transport import GitLabApi, encode


@dataclass(frozen=True)
class AllowlistEntry:
    id: int
    path: str  # full path, for people; the API speaks ids


def inbound_enabled(api: GitLabApi, project_id: int) -> bool:
    cached = api.cache.get(project_id, "job_token_scope")
    scope = cached if cached is not MISSING else api.get(f"/projects/{project_id}/job_token_scope")
    if "inbound_enabled" not in scope:
        raise Unobservable("GitLab did not say whether the job token scope is limited (inbound_enabled)")
    return bool(scope["inbound_enabled"])


def set_inbound(api: GitLabApi, project_id: int, enabled: bool) -> None:
    api.patch(f"/projects/{project_id}/job_token_scope", {"enabled": enabled})


def allowed_projects(api: GitLabApi, project_id: int) -> list[AllowlistEntry]:
    """Projects whose job tokens may reach this one, without the project itself."""
    cached = api.cache.get(project_id, "job_token_allowlist")
    listed = (
        cached if cached is not MISSING else api.list(f"/projects/{project_id}/job_token_scope/allowlist")
    )
    return [
        AllowlistEntry(int(p["id"]), str(p.get("path_with_namespace") or p.get("name") or p["id"]))
        for p in listed
        if int(p["id"]) != project_id
    ]


def allowed_groups(api: GitLabApi, project_id: int) -> list[AllowlistEntry]:
    cached = api.cache.get(project_id, "job_token_groups_allowlist")
    listed = (
        cached
        if cached is not MISSING
        else api.list(f"/projects/{project_id}/job_token_scope/groups_allowlist")
    )
    return [AllowlistEntry(int(g["id"]), _group_path(g)) for g in listed]


def _group_path(group: Mapping[str, Any]) -> str:
    """The list answers `{id, web_url, name}`: the full path is the web URL's path."""
    if group.get("full_path"):
        return str(group["full_path"])
    path = urlsplit(str(group.get("web_url") or "")).path.strip("/")
    path = path.removeprefix("groups/")
    return path or str(group.get("name") or group["id"])


def add_project(api: GitLabApi, project_id: int, target_id: int) -> None:
    post_once(
        api,
        f"/projects/{project_id}/job_token_scope/allowlist",
        {"target_project_id": target_id},
        find=lambda: _listed(api, project_id, target_id, allowed_projects),
    )


def add_group(api: GitLabApi, project_id: int, target_id: int) -> None:
    post_once(
        api,
        f"/projects/{project_id}/job_token_scope/groups_allowlist",
        {"target_group_id": target_id},
        find=lambda: _listed(api, project_id, target_id, allowed_groups),
    )


def remove_project(api: GitLabApi, project_id: int, target_id: int) -> None:
    api.delete(f"/projects/{project_id}/job_token_scope/allowlist/{target_id}")


def remove_group(api: GitLabApi, project_id: int, target_id: int) -> None:
    api.delete(f"/projects/{project_id}/job_token_scope/groups_allowlist/{target_id}")


def _listed(api: GitLabApi, project_id: int, target_id: int, read: Any) -> AllowlistEntry | None:
    api.cache.forget_project(project_id)
    return next((e for e in read(api, project_id) if e.id == target_id), None)


# -- paths to ids, once per run -----------------------------------------------------------------
def project_id_of(api: GitLabApi, path: str) -> int | None:
    """The id of the project at `path`, or None when it is missing or invisible to this token."""
    known = api.cache.lookup("project_id", path)
    if known is not MISSING:
        return known  # type: ignore[no-any-return]
    entity = api.cache.project(path) or api.get_optional(f"/projects/{encode(path)}")
    found = int(entity["id"]) if entity is not None else None
    api.cache.remember("project_id", path, found)
    return found


def group_id_of(api: GitLabApi, path: str) -> int | None:
    known = api.cache.lookup("group_id", path)
    if known is not MISSING:
        return known  # type: ignore[no-any-return]
    entity = api.get_optional(f"/groups/{encode(path)}", with_projects="false")
    found = int(entity["id"]) if entity is not None else None
    api.cache.remember("group_id", path, found)
    return found
