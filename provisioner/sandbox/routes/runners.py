"""Runners of the three types, and creating one with `POST /user/runners` (REFERENCE 2.4)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import (
    find_group,
    find_project,
    namespace_access,
    project_access,
    require_group,
    require_user,
)
from provisioner.sandbox.http import (
    ApiError,
    bad_request,
    forbidden,
    json_response,
    no_content,
    not_found,
    origin,
    paginate,
    param_error,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.runner_policy import can_manage
from provisioner.sandbox.state import MAINTAINER, OWNER, Runner, State, User, now_iso

ROUTES = Routes()
TYPES = ("instance_type", "group_type", "project_type")
STATUSES = ("online", "offline", "stale", "never_contacted")
RUNNER_READ = ("api", "read_api", "manage_runner")
RUNNER_VERSION = "18.6.0"  # what a runner that contacted the sandbox reports
RUNNER_WRITE = ("api", "manage_runner")


def runner_status(runner: Runner) -> str:
    # Simplification: runners that ever contacted the sandbox stay online; new ones never contact it.
    return "online" if runner.contacted_at else "never_contacted"


def runner_json(runner: Runner) -> dict[str, Any]:
    status = runner_status(runner)
    return {
        "id": runner.id,
        "description": runner.description,
        "ip_address": None,
        "active": not runner.paused,
        "paused": runner.paused,
        "is_shared": runner.runner_type == "instance_type",
        "runner_type": runner.runner_type,
        "name": None,
        "online": status == "online",
        "status": status,
        "created_at": runner.created_at,
    }


def runner_details(state: State, runner: Runner, base: str) -> dict[str, Any]:
    projects = [state.projects[i] for i in runner.project_ids if i in state.projects]
    groups = [state.namespaces[i] for i in runner.group_ids if i in state.namespaces]
    return runner_json(runner) | {
        "tag_list": list(runner.tag_list),
        "run_untagged": runner.run_untagged,
        "locked": runner.locked,
        "maximum_timeout": runner.maximum_timeout,
        "access_level": runner.access_level,
        "version": RUNNER_VERSION if runner.contacted_at else None,
        "revision": "a1b2c3d4" if runner.contacted_at else None,
        "platform": "linux" if runner.contacted_at else None,
        "architecture": "amd64" if runner.contacted_at else None,
        "contacted_at": runner.contacted_at,
        "maintenance_note": runner.maintenance_note,
        "projects": [
            {
                "id": p.id,
                "name": p.name,
                "name_with_namespace": state.project_full_path(p).replace("/", " / "),
                "path": p.path,
                "path_with_namespace": state.project_full_path(p),
            }
            for p in projects
        ],
        "groups": [
            {"id": g.id, "web_url": f"{base}/groups/{state.namespace_full_path(g.id)}", "name": g.name}
            for g in groups
        ],
    }


def filter_runners(req: ApiRequest, runners: list[Runner]) -> list[Runner]:
    p = req.params
    if (kind := p.enum("type", TYPES)) is not None:
        runners = [r for r in runners if r.runner_type == kind]
    if (paused := p.bool("paused")) is not None:
        runners = [r for r in runners if r.paused == paused]
    if (status := p.enum("status", (*STATUSES, "active", "paused"))) is not None:
        runners = [r for r in runners if _has_status(r, status)]
    scope = p.str("scope")
    if scope is not None and scope not in (*STATUSES, "active", "paused", "specific", "shared"):
        raise ApiError(400, {"message": "Scope contains invalid value"})
    if (tags := p.list("tag_list")) is not None:
        runners = [r for r in runners if set(tags) <= set(r.tag_list)]
    if (prefix := p.str("version_prefix")) is not None:
        # Ci::RunnersFinder `by_version_prefix`: the leading digits and dots of the value; without
        # any, the filter does not apply.
        wanted = re.match(r"[\d.]*", prefix).group(0)  # type: ignore[union-attr]
        if wanted:
            runners = [r for r in runners if (RUNNER_VERSION if r.contacted_at else "").startswith(wanted)]
    return sorted(runners, key=lambda r: r.id)


def _has_status(runner: Runner, status: str) -> bool:
    if status in ("active", "paused"):
        return runner.paused == (status == "paused")
    return runner_status(runner) == status


def owned_runners(state: State, user: User) -> list[Runner]:
    return [
        r for r in state.runners.values() if r.runner_type != "instance_type" and can_manage(state, user, r)
    ]


def find_runner(req: ApiRequest, *, manage: bool) -> Runner:
    user = require_user(req)
    raw = req.path.get("runner_id") or req.path["id"]
    runner = req.state.runners.get(int(raw)) if raw.isdigit() else None
    if runner is None:
        raise not_found("Runner")
    if runner.runner_type == "instance_type" and not manage:
        return runner
    if not can_manage(req.state, user, runner):
        raise forbidden("No access granted")
    return runner


@ROUTES.get("/runners", scopes=RUNNER_READ)
async def list_runners(req: ApiRequest) -> Response:
    user = require_user(req)
    runners = filter_runners(req, owned_runners(req.state, user))
    return paginate(req.http, req.params, runners, runner_json)


@ROUTES.get("/runners/all", scopes=RUNNER_READ)
async def list_all_runners(req: ApiRequest) -> Response:
    user = require_user(req)
    if not user.is_admin:
        raise forbidden()
    runners = filter_runners(req, list(req.state.runners.values()))
    return paginate(req.http, req.params, runners, runner_json)


@ROUTES.get("/runners/:id", scopes=RUNNER_READ)
async def get_runner(req: ApiRequest) -> Response:
    runner = find_runner(req, manage=False)
    return json_response(runner_details(req.state, runner, origin(req.http)))


@ROUTES.put("/runners/:id", scopes=RUNNER_WRITE)
async def update_runner(req: ApiRequest) -> Response:
    runner = find_runner(req, manage=True)
    p = req.params
    fields = ("description", "active", "paused", "tag_list", "run_untagged", "locked", "access_level")
    p.at_least_one_of([*fields, "maximum_timeout", "maintenance_note"])
    if "active" in p and "paused" in p:
        raise param_error("active, paused are mutually exclusive")
    if "active" in p:
        runner.paused = not p.bool("active")
    runner.paused = p.bool("paused", runner.paused)
    runner.description = p.str("description", runner.description)
    runner.tag_list = p.list("tag_list", runner.tag_list)
    runner.run_untagged = p.bool("run_untagged", runner.run_untagged)
    runner.locked = p.bool("locked", runner.locked)
    runner.access_level = p.enum("access_level", ("not_protected", "ref_protected"), runner.access_level)
    runner.maximum_timeout = p.int("maximum_timeout", runner.maximum_timeout)
    runner.maintenance_note = p.str("maintenance_note", runner.maintenance_note)
    return json_response(runner_details(req.state, runner, origin(req.http)))


@ROUTES.delete("/runners/:id", scopes=RUNNER_WRITE)
async def delete_runner(req: ApiRequest) -> Response:
    runner = find_runner(req, manage=True)
    if runner.runner_type == "project_type" and len(runner.project_ids) > 1:
        raise forbidden("Runner associated with more than one project")
    del req.state.runners[runner.id]
    return no_content()


@ROUTES.post("/runners/:id/reset_authentication_token", scopes=RUNNER_WRITE)
async def reset_runner_token(req: ApiRequest) -> Response:
    """Whoever may update the runner gets a new token; the old one stops working
    [G:lib/api/ci/runners.rb, `authenticate_update_runner!`, Entities::Ci::ResetTokenResult]."""
    runner = find_runner(req, manage=True)
    runner.token = "glrt-" + secrets.token_urlsafe(15)
    return json_response({"token": runner.token, "token_expires_at": None}, 201)


@ROUTES.post("/runners/verify", anonymous=True, write=False)
async def verify_runner(req: ApiRequest) -> Response:
    """What a runner calls with its own token: 200 while the token is valid, 403 otherwise
    [G:lib/api/ci/runner.rb, `post '/verify'`, Entities::Ci::RunnerRegistrationDetails]. A valid
    token counts as the runner contacting GitLab: `authenticate_runner!` heartbeats, which sets
    `contacted_at` [G:lib/api/ci/helpers/runner.rb, app/models/ci/runner.rb `heartbeat`] (some 16.x
    and 17.x releases skipped that for `glrt-` tokens; the newest does not)."""
    req.params.require("token")
    token = req.params.str("token")
    runner = next((r for r in req.state.runners.values() if r.token == token), None)
    if runner is None:
        raise forbidden()
    runner.contacted_at = now_iso()
    return json_response({"id": runner.id, "token": runner.token, "token_expires_at": None})


@ROUTES.get("/groups/:id/runners", scopes=RUNNER_READ)
async def group_runners(req: ApiRequest) -> Response:
    ns = require_group(req, MAINTAINER)
    chain = {g.id for g in req.state.ancestors(ns.id)}
    runners = [
        r for r in req.state.runners.values() if r.runner_type == "instance_type" or set(r.group_ids) & chain
    ]
    return paginate(req.http, req.params, filter_runners(req, runners), runner_json)


# `api` was required before `create_runner` existed (gitlab-org/gitlab#413040) and still works.
@ROUTES.post("/user/runners", scopes=("api", "create_runner"))
async def create_user_runner(req: ApiRequest) -> Response:
    user = require_user(req)
    p, state = req.params, req.state
    p.require("runner_type")
    kind = p.enum("runner_type", TYPES)
    runner = Runner(
        id=state.next_id("runner"),
        runner_type=kind,
        token="glrt-" + secrets.token_urlsafe(15),
        created_at=now_iso(),
        creator_id=user.id,
    )
    # Messages of Ci::Runners::CreateRunnerService's strategies (guessed wording).
    if kind == "instance_type" and not user.is_admin:
        raise forbidden("Insufficient permissions")
    if kind == "group_type":
        if p.int("group_id") is None:
            raise bad_request("Missing/invalid group ID")
        group = find_group(req, str(p.int("group_id")))
        if namespace_access(state, user, group.id) < OWNER:
            raise forbidden("Insufficient permissions")
        runner.group_ids = [group.id]
    if kind == "project_type":
        if p.int("project_id") is None:
            raise bad_request("Missing/invalid project ID")
        project = find_project(req, str(p.int("project_id")))
        # `create_runner` on a project is in ProjectPolicy's maintainer block [G:app/policies/project_policy.rb].
        if project_access(state, user, project) < MAINTAINER:
            raise forbidden("Insufficient permissions")
        runner.project_ids = [project.id]
    runner.description = p.str("description", "")
    runner.maintenance_note = p.str("maintenance_note")
    runner.paused = p.bool("paused", False)
    runner.locked = p.bool("locked", False)
    runner.run_untagged = p.bool("run_untagged", True)
    runner.tag_list = p.list("tag_list", [])
    runner.access_level = p.enum("access_level", ("not_protected", "ref_protected"), "not_protected")
    runner.maximum_timeout = p.int("maximum_timeout")
    state.runners[runner.id] = runner
    return json_response({"id": runner.id, "token": runner.token, "token_expires_at": None}, 201)
