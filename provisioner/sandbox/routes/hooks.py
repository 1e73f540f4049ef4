"""Project webhooks [G:lib/api/project_hooks.rb, lib/api/helpers/web_hooks_helpers.rb,
lib/api/entities/hook.rb, lib/api/entities/project_hook.rb, doc/api/project_webhooks.md], and a group's
(Premium, the group's Owner; absent on the Community Edition) [G:doc/api/group_webhooks.md].

What GitLab never shows: the token, the values of URL variables and of custom headers (their keys
only, and only on a single hook: the list leaves both out). A PUT merges custom headers into those
the hook has; one is removed with DELETE .../custom_headers/:key (17.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from provisioner.sandbox.auth import require_group, require_project
from provisioner.sandbox.http import (
    Params,
    json_response,
    message,
    no_content,
    not_found,
    paginate,
    param_error,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, Hook, Namespace, Project, State, now_iso
from provisioner.sandbox.versions import has

ROUTES = Routes()
EVENTS = (
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "releases_events",
    "feature_flag_events",
)
GROUP_EVENTS = (
    "subgroup_events",
    "member_events",
)  # a group hook's own [G:ee/lib/ee/api/entities/group_hook.rb]
DEFAULT_EVENTS = {"push_events": True}  # the column defaults: push events only
STRATEGIES = ("wildcard", "regex", "all_branches")
DECLARED = (
    "url",
    *EVENTS,
    "enable_ssl_verification",
    "token",
    "push_events_branch_filter",
    "branch_filter_strategy",
    "name",
    "description",
    "custom_headers",
)


Owner = Project | Namespace


def hook_json(hook: Hook, owner: Owner, state: State, *, single: bool) -> dict[str, Any]:
    events = (*EVENTS, *GROUP_EVENTS) if isinstance(owner, Namespace) else EVENTS
    data: dict[str, Any] = {
        "id": hook.id,
        "url": hook.url,
        "created_at": hook.created_at,
        ("group_id" if isinstance(owner, Namespace) else "project_id"): owner.id,
        **{name: bool(hook.events.get(name, DEFAULT_EVENTS.get(name, False))) for name in events},
        "repository_update_events": False,
        "enable_ssl_verification": hook.enable_ssl_verification,
        "alert_status": "executable",
        "disabled_until": None,
        "push_events_branch_filter": hook.push_events_branch_filter,
        "branch_filter_strategy": hook.branch_filter_strategy,
    }
    if has(state, "rest:ProjectHook.name"):
        data["name"], data["description"] = hook.name, hook.description
    if single:  # with_url_variables: false, with_custom_headers: false on the list
        data["url_variables"] = [{"key": key} for key in hook.url_variables]
        if has(state, "rest:ProjectHook.custom_headers"):
            data["custom_headers"] = [{"key": key} for key in hook.custom_headers]
    return data


def _owner(req: ApiRequest) -> Owner:
    if req.route.template.startswith("/api/v4/groups"):
        return require_group(req, OWNER)  # :admin_hook on the group: its Owner
    return require_project(req, MAINTAINER)  # :read_web_hook / :admin_web_hook: Maintainer


def _find(owner: Owner, hook_id: str) -> Hook:
    found = next((h for h in owner.hooks if str(h.id) == hook_id), None)
    if found is None:
        raise not_found()
    return found


def _pairs(p: Params, name: str) -> dict[str, str] | None:
    """`[{key, value}, ...]` (both required) to a mapping, as create_hook_params does."""
    raw = p.raw(name)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise param_error(f"{name} is invalid")
    for entry in raw:
        for part in ("key", "value"):
            if not isinstance(entry.get(part), str):
                raise param_error(f"{name}[{part}] is missing")
    return {str(e["key"]): str(e["value"]) for e in raw}


def _apply(hook: Hook, req: ApiRequest, *, creating: bool) -> None:
    p, state = req.params, req.state
    url_changed = "url" in p and p.str("url") != hook.url
    if "url" in p:
        hook.url = p.str("url", "")
    for name in (*EVENTS, *GROUP_EVENTS):
        if name in p:
            hook.events[name] = p.bool(name)
    hook.enable_ssl_verification = p.bool("enable_ssl_verification", hook.enable_ssl_verification)
    if "push_events_branch_filter" in p:
        hook.push_events_branch_filter = p.str("push_events_branch_filter")
    hook.branch_filter_strategy = p.enum("branch_filter_strategy", STRATEGIES, hook.branch_filter_strategy)
    if hook.branch_filter_strategy == "all_branches":
        hook.push_events_branch_filter = None  # before_validation :set_branch_filter_nil
    if has(state, "rest:ProjectHook.name"):
        for name in ("name", "description"):
            if name in p:
                setattr(hook, name, p.str(name))
    if "token" in p:
        hook.token = p.str("token")
    elif url_changed and not creating:
        hook.token = None  # reset_token: a new URL without a new token drops the token
    headers = _pairs(p, "custom_headers") if has(state, "rest:ProjectHook.custom_headers") else None
    if url_changed and not creating:
        hook.custom_headers = {}  # reset_custom_headers: the URL changed
    if headers:
        hook.custom_headers = {**hook.custom_headers, **headers}  # merged, never replaced
    _validate(hook)


def _validate(hook: Hook) -> None:
    parts = urlsplit(hook.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise message("Invalid url given", 422)  # save_hook [G:lib/api/helpers/web_hooks_helpers.rb]
    if hook.token is not None and "\n" in hook.token:
        raise message({"token": ["is invalid"]}, 422)  # validates :token, format: { without: /\n/ }


for kind in ("projects", "groups"):
    hooks = f"/{kind}/:id/hooks"

    @ROUTES.get(hooks)
    async def list_hooks(req: ApiRequest) -> Response:
        owner = _owner(req)
        return paginate(
            req.http, req.params, owner.hooks, lambda h: hook_json(h, owner, req.state, single=False)
        )

    @ROUTES.get(f"{hooks}/:hook_id")
    async def get_hook(req: ApiRequest) -> Response:
        owner = _owner(req)
        return json_response(hook_json(_find(owner, req.path["hook_id"]), owner, req.state, single=True))

    @ROUTES.post(hooks)
    async def add_hook(req: ApiRequest) -> Response:
        owner = _owner(req)
        req.params.require("url")
        hook = Hook(id=req.state.next_id("hook"), url="", created_at=now_iso())
        _apply(hook, req, creating=True)
        owner.hooks.append(hook)
        return json_response(hook_json(hook, owner, req.state, single=True), 201)

    @ROUTES.put(f"{hooks}/:hook_id")
    async def edit_hook(req: ApiRequest) -> Response:
        owner = _owner(req)
        hook = _find(owner, req.path["hook_id"])
        if not any(name in req.params for name in DECLARED):
            raise message("No parameters provided", 400)  # update_hook_params: error!(..., :bad_request)
        updated = Hook(
            **{**vars(hook), "events": dict(hook.events), "custom_headers": dict(hook.custom_headers)}
        )
        _apply(updated, req, creating=False)
        vars(hook).update(vars(updated))
        return json_response(hook_json(hook, owner, req.state, single=True))

    @ROUTES.delete(f"{hooks}/:hook_id")
    async def delete_hook(req: ApiRequest) -> Response:
        owner = _owner(req)
        owner.hooks.remove(_find(owner, req.path["hook_id"]))
        return no_content()

    @ROUTES.put(f"{hooks}/:hook_id/custom_headers/:key")
    async def set_custom_header(req: ApiRequest) -> Response:
        hook = _find(_owner(req), req.path["hook_id"])
        req.params.require("value")
        hook.custom_headers[req.path["key"]] = req.params.str("value")
        return no_content()

    @ROUTES.delete(f"{hooks}/:hook_id/custom_headers/:key")
    async def delete_custom_header(req: ApiRequest) -> Response:
        hook = _find(_owner(req), req.path["hook_id"])
        if hook.custom_headers.pop(req.path["key"], None) is None:
            raise not_found()  # unverified: the key was not there
        return no_content()
