"""CI/CD job token scope and its project and group allowlists (REFERENCE 2.5)."""

from __future__ import annotations

import re

from starlette.responses import Response

from provisioner.sandbox.auth import can_read_group, can_read_project, require_project, user_of
from provisioner.sandbox.http import (
    bad_request,
    json_response,
    message,
    no_content,
    origin,
    paginate,
    param_error,
)
from provisioner.sandbox.project_view import project_basic
from provisioner.sandbox.routes.application_settings import enforced_job_token_allowlist
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, Project

ROUTES = Routes()
BASE = "/projects/:id/job_token_scope"


def _project(req: ApiRequest, *, numeric: bool = False) -> Project:
    # The allowlist routes declare `requires :id, type: Integer` (REFERENCE 1.2; wording unverified).
    if numeric and not re.fullmatch(r"\d+", req.path["id"]):
        raise param_error("id is invalid")
    return require_project(req, MAINTAINER)


@ROUTES.get(BASE)
async def get_scope(req: ApiRequest) -> Response:
    """`inbound_enabled` is `Project#ci_inbound_job_token_scope_enabled?`: true whenever the instance
    enforces the allowlist, whatever the project's own setting [G:lib/api/entities/project_job_token_
    scope.rb; spec/lib/api/entities/project_job_token_scope_spec.rb 'inbound_enabled can not be changed
    at the project level'; spec/models/project_spec.rb]."""
    project = _project(req)
    inbound = project.job_token_inbound_enabled or enforced_job_token_allowlist(req.state)
    return json_response({"inbound_enabled": inbound, "outbound_enabled": False})


@ROUTES.patch(BASE)
async def patch_scope(req: ApiRequest) -> Response:
    """Projects::UpdateService stores the project's own setting and answers 204, even while the instance
    enforces the allowlist: the update succeeds and reads back true [G:lib/api/project_job_token_scope.rb,
    spec/lib/api/entities/project_job_token_scope_spec.rb]. (GitLab's newest docs say a 400 comes back
    then; no release was found that does it, and no message: not modelled.)"""
    project = _project(req)
    req.params.require("enabled")
    project.job_token_inbound_enabled = req.params.bool("enabled")
    return no_content()


@ROUTES.get(f"{BASE}/allowlist")
async def project_allowlist(req: ApiRequest) -> Response:
    project = _project(req)
    state = req.state
    # The source project is always part of its own inbound allowlist (Ci::JobToken::Allowlist, from memory).
    ids = [project.id, *[i for i in project.job_token_allowlist_projects if i != project.id]]
    projects = [state.projects[i] for i in ids if i in state.projects]
    base = origin(req.http)
    return paginate(req.http, req.params, projects, lambda p: project_basic(state, p, base))


@ROUTES.post(f"{BASE}/allowlist")
async def add_project(req: ApiRequest) -> Response:
    project = _project(req, numeric=True)
    req.params.require("target_project_id")
    target_id = req.params.int("target_project_id")
    target = req.state.projects.get(target_id)
    if target is None or not can_read_project(req.state, user_of(req), target):
        raise message("404 target_project_id not found Not Found", 404)
    if target.id == project.id:
        raise bad_request("Validation failed: Target project can't be the same as the source project")
    if target.id in project.job_token_allowlist_projects:
        # The unique index: RecordNotUnique [G:app/services/ci/job_token_scope/add_project_service.rb]
        raise bad_request("Target project is already in the job token scope")
    project.job_token_allowlist_projects.append(target.id)
    return json_response({"source_project_id": project.id, "target_project_id": target.id}, 201)


@ROUTES.delete(f"{BASE}/allowlist/:target_project_id")
async def remove_project(req: ApiRequest) -> Response:
    project = _project(req, numeric=True)
    raw = req.path["target_project_id"]
    target_id = int(raw) if raw.isdigit() else None
    if target_id not in project.job_token_allowlist_projects:
        raise bad_request("Target project is not in the job token scope")  # guessed wording
    project.job_token_allowlist_projects.remove(target_id)
    return no_content()


@ROUTES.get(f"{BASE}/groups_allowlist")
async def group_allowlist(req: ApiRequest) -> Response:
    project = _project(req)
    state, base = req.state, origin(req.http)
    groups = [state.namespaces[i] for i in project.job_token_allowlist_groups if i in state.namespaces]
    return paginate(
        req.http,
        req.params,
        groups,
        lambda g: {"id": g.id, "web_url": f"{base}/groups/{state.namespace_full_path(g.id)}", "name": g.name},
    )


@ROUTES.post(f"{BASE}/groups_allowlist")
async def add_group(req: ApiRequest) -> Response:
    project = _project(req, numeric=True)
    req.params.require("target_group_id")
    target_id = req.params.int("target_group_id")
    group = req.state.namespaces.get(target_id)
    if group is None or group.kind != "group" or not can_read_group(req.state, user_of(req), group):
        raise message("404 target_group_id not found Not Found", 404)
    if group.id in project.job_token_allowlist_groups:
        # The unique index: RecordNotUnique [G:app/services/ci/job_token_scope/add_group_service.rb]
        raise bad_request("Target group is already in the job token scope")
    project.job_token_allowlist_groups.append(group.id)
    return json_response({"source_project_id": project.id, "target_group_id": group.id}, 201)


@ROUTES.delete(f"{BASE}/groups_allowlist/:target_group_id")
async def remove_group(req: ApiRequest) -> Response:
    project = _project(req, numeric=True)
    raw = req.path["target_group_id"]
    target_id = int(raw) if raw.isdigit() else None
    if target_id not in project.job_token_allowlist_groups:
        raise bad_request("Target group is not in the job token scope")  # guessed wording
    project.job_token_allowlist_groups.remove(target_id)
    return no_content()
