"""A project's runners: list, assign an existing project runner, unassign (REFERENCE 2.4)."""

from __future__ import annotations

from starlette.responses import Response

from provisioner.sandbox.auth import require_project, require_user
from provisioner.sandbox.http import forbidden, json_response, no_content, not_found, paginate, validation
from provisioner.sandbox.routes.runners import RUNNER_READ, RUNNER_WRITE, filter_runners, runner_json
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.runner_policy import can_manage, owned_or_instance_wide
from provisioner.sandbox.state import MAINTAINER

ROUTES = Routes()


@ROUTES.get("/projects/:id/runners", scopes=RUNNER_READ)
async def list_project_runners(req: ApiRequest) -> Response:
    """`owned_or_instance_wide` (runner_policy.py); the filters (`type`, ...) then narrow it."""
    project = require_project(req, MAINTAINER)
    runners = owned_or_instance_wide(req.state, project)
    return paginate(req.http, req.params, filter_runners(req, runners), runner_json)


@ROUTES.post("/projects/:id/runners", scopes=RUNNER_WRITE)
async def assign_runner(req: ApiRequest) -> Response:
    user = require_user(req)
    project = require_project(req, MAINTAINER)
    req.params.require("runner_id")
    runner = req.state.runners.get(req.params.int("runner_id"))
    if runner is None:
        raise not_found("Runner")
    if runner.runner_type == "group_type":
        raise forbidden("Runner is a group runner")
    if runner.runner_type == "instance_type":
        raise forbidden("Runner is a shared runner")  # guessed wording
    if runner.locked:
        raise forbidden("Runner is locked")
    if not can_manage(req.state, user, runner):
        raise forbidden("No access granted")
    if project.id in runner.project_ids:
        # Guessed: the assignment's uniqueness validation.
        raise validation({"runner_projects.project_id": ["has already been taken"]})
    runner.project_ids.append(project.id)
    return json_response(runner_json(runner), 201)


@ROUTES.delete("/projects/:id/runners/:runner_id", scopes=RUNNER_WRITE)
async def unassign_runner(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    raw = req.path["runner_id"]
    runner = req.state.runners.get(int(raw)) if raw.isdigit() else None
    if runner is None or project.id not in runner.project_ids:
        raise not_found("Runner")
    if runner.project_ids[0] == project.id:
        raise forbidden("You cannot unassign a runner from the owner project. Delete the runner instead")
    runner.project_ids.remove(project.id)
    return no_content()
