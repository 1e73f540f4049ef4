"""Pipeline schedules and their variables [G:lib/api/ci/pipeline_schedules.rb,
app/policies/ci/pipeline_schedule_policy.rb, app/models/ci/pipeline_schedule.rb, doc/api/pipeline_schedules.md].

- Developers read schedules; the details carry `variables` only for who may read them (a Maintainer,
  or the schedule's owner) [G:lib/api/entities/ci/pipeline_schedule_details.rb].
- The creator owns a schedule. Only its owner (or an instance administrator) may update it or set its
  variables: a Maintainer who is not the owner is refused (403) until they take ownership; deleting it,
  or a variable of it, needs a Maintainer or the owner (`admin_pipeline_schedule`).
- Writing variables also needs `set_pipeline_variables` on the project: refused when the project
  restricts pipeline variables to a role above the caller's (`no_one_allowed` refuses everyone)
  [G:app/policies/project_policy.rb `user_defined_variables_allowed`].
- A short `ref` naming an existing branch or tag is stored as the full ref (`refs/heads/main`); one
  that names both, or nothing, is kept as given (`Ci::PipelineSchedule#expand_short_ref`).
- `cron` and `cron_timezone` are validated ("syntax is invalid"); the sandbox knows five-field cron
  and IANA zone names (GitLab also takes ActiveSupport's names, such as "Pacific Time (US & Canada)",
  which the sandbox refuses). `next_run_at` is not computed: the sandbox runs no pipelines.
- `DELETE` of a schedule answers 204 (`destroy_conditionally!`), of a variable 202 with the variable.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import project_access, require_project, require_user, user_of
from provisioner.sandbox.cron import cron_valid, timezone_valid
from provisioner.sandbox.http import (
    forbidden,
    json_response,
    no_content,
    not_found,
    origin,
    paginate,
    validation,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import (
    DEVELOPER,
    MAINTAINER,
    PipelineSchedule,
    Project,
    ScheduleVariable,
    State,
    User,
    now_iso,
)
from provisioner.sandbox.views import user_basic

ROUTES = Routes()
KEY = re.compile(r"[A-Za-z0-9_]{1,255}")
TYPES = ("env_var", "file")
ROLES = {"developer": 30, "maintainer": 40, "owner": 50}


def schedule_json(
    state: State,
    schedule: PipelineSchedule,
    origin: str,
    *,
    details: bool,
    viewer: User | None,
    project: Project,
) -> dict[str, Any]:
    owner = state.users.get(schedule.owner_id)
    data: dict[str, Any] = {
        "id": schedule.id,
        "description": schedule.description,
        "ref": schedule.ref,
        "cron": schedule.cron,
        "cron_timezone": schedule.cron_timezone,
        "next_run_at": schedule.updated_at,
        "active": schedule.active,
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
        "owner": user_basic(owner, origin) if owner else None,
    }
    if details:
        data["last_pipeline"] = None
        if may_admin(state, viewer, project, schedule):
            data["variables"] = [variable_json(v) for v in schedule.variables]
    return data


def variable_json(variable: ScheduleVariable) -> dict[str, Any]:
    return {
        "variable_type": variable.variable_type,
        "key": variable.key,
        "value": variable.value,
        "raw": variable.raw,
    }


def may_admin(state: State, user: User | None, project: Project, schedule: PipelineSchedule) -> bool:
    """`admin_pipeline_schedule` and `read_pipeline_schedule_variables`."""
    level = project_access(state, user, project)
    owner = user is not None and schedule.owner_id == user.id
    return level >= MAINTAINER or (owner and level >= DEVELOPER)


def _may_update(state: State, user: User, project: Project, schedule: PipelineSchedule) -> bool:
    """`update_pipeline_schedule`: an administrator, or the owner with Developer access."""
    return user.is_admin or (
        schedule.owner_id == user.id and project_access(state, user, project) >= DEVELOPER
    )


def _may_set_variables(state: State, user: User, project: Project) -> bool:
    settings = project.settings
    if not settings.get("restrict_user_defined_variables"):
        return True
    role = settings.get("ci_pipeline_variables_minimum_override_role", "developer")
    return role in ROLES and project_access(state, user, project) >= ROLES[role]


def _schedule(req: ApiRequest) -> tuple[Project, PipelineSchedule]:
    project = require_project(req, DEVELOPER)
    wanted = req.path["pipeline_schedule_id"]
    found = next((s for s in project.pipeline_schedules if str(s.id) == wanted), None)
    if found is None:
        raise not_found("Pipeline Schedule")
    return project, found


def _expanded(project: Project, ref: str) -> str:
    if ref.startswith(("refs/heads/", "refs/tags/")):
        return ref
    branch, tag = ref in project.repo.branches, ref in project.repo.tags
    if branch and not tag:
        return f"refs/heads/{ref}"
    if tag and not branch:
        return f"refs/tags/{ref}"
    return ref


def _validate(schedule: PipelineSchedule) -> None:
    errors: dict[str, list[str]] = {}
    if not schedule.description:
        errors["description"] = ["can't be blank"]
    if not schedule.ref:
        errors["ref"] = ["can't be blank"]
    if not cron_valid(schedule.cron):
        errors["cron"] = ["syntax is invalid"]
    if not timezone_valid(schedule.cron_timezone):
        errors["cron_timezone"] = ["syntax is invalid"]
    if errors:
        raise validation(errors)


def _origin(req: ApiRequest) -> str:
    return origin(req.http)


@ROUTES.get("/projects/:id/pipeline_schedules")
async def list_schedules(req: ApiRequest) -> Response:
    project = require_project(req, DEVELOPER)
    scope = req.params.enum("scope", ("active", "inactive"))
    found = [s for s in project.pipeline_schedules if scope is None or s.active == (scope == "active")]
    base, viewer = _origin(req), user_of(req)
    return paginate(
        req.http,
        req.params,
        found,
        lambda s: schedule_json(req.state, s, base, details=False, viewer=viewer, project=project),
    )


@ROUTES.get("/projects/:id/pipeline_schedules/:pipeline_schedule_id")
async def get_schedule(req: ApiRequest) -> Response:
    project, schedule = _schedule(req)
    return json_response(
        schedule_json(req.state, schedule, _origin(req), details=True, viewer=user_of(req), project=project)
    )


@ROUTES.post("/projects/:id/pipeline_schedules")
async def create_schedule(req: ApiRequest) -> Response:
    project = require_project(req, DEVELOPER)
    user, p, state = require_user(req), req.params, req.state
    p.require("description", "ref", "cron")
    now = now_iso()
    schedule = PipelineSchedule(
        id=state.next_id("pipeline_schedule"),
        description=str(p.str("description")),
        ref=_expanded(project, str(p.str("ref"))),
        cron=str(p.str("cron")).strip(),
        cron_timezone=str(p.str("cron_timezone", "UTC")),
        owner_id=user.id,
        created_at=now,
        updated_at=now,
        active=bool(p.bool("active", True)),
    )
    _validate(schedule)
    project.pipeline_schedules.append(schedule)
    return json_response(
        schedule_json(state, schedule, _origin(req), details=True, viewer=user, project=project), 201
    )


@ROUTES.put("/projects/:id/pipeline_schedules/:pipeline_schedule_id")
async def update_schedule(req: ApiRequest) -> Response:
    project, schedule = _schedule(req)
    user, p, state = require_user(req), req.params, req.state
    if not _may_update(state, user, project, schedule):
        raise forbidden()
    changed = PipelineSchedule(**{**schedule.__dict__})
    if "description" in p:
        changed.description = str(p.str("description") or "")
    if "ref" in p:
        changed.ref = _expanded(project, str(p.str("ref") or ""))
    if "cron" in p:
        changed.cron = str(p.str("cron") or "").strip()
    if "cron_timezone" in p:
        changed.cron_timezone = str(p.str("cron_timezone") or "")
    if "active" in p:
        changed.active = bool(p.bool("active"))
    _validate(changed)
    schedule.__dict__.update(changed.__dict__, updated_at=now_iso())
    return json_response(
        schedule_json(state, schedule, _origin(req), details=True, viewer=user, project=project)
    )


@ROUTES.post("/projects/:id/pipeline_schedules/:pipeline_schedule_id/take_ownership")
async def take_ownership(req: ApiRequest) -> Response:
    project, schedule = _schedule(req)
    user, state = require_user(req), req.state
    if not may_admin(state, user, project, schedule):
        raise forbidden()
    status = 200 if schedule.owner_id == user.id else 201
    schedule.owner_id = user.id
    return json_response(
        schedule_json(state, schedule, _origin(req), details=True, viewer=user, project=project), status
    )


@ROUTES.delete("/projects/:id/pipeline_schedules/:pipeline_schedule_id")
async def delete_schedule(req: ApiRequest) -> Response:
    project, schedule = _schedule(req)
    if not may_admin(req.state, require_user(req), project, schedule):
        raise forbidden()
    project.pipeline_schedules.remove(schedule)
    return no_content()


def _variable_access(req: ApiRequest, *, deleting: bool) -> tuple[Project, PipelineSchedule]:
    project, schedule = _schedule(req)
    user, state = require_user(req), req.state
    if not _may_set_variables(state, user, project):
        raise forbidden()
    allowed = (
        may_admin(state, user, project, schedule) if deleting else _may_update(state, user, project, schedule)
    )
    if not allowed:
        raise forbidden()
    return project, schedule


def _variable_type(req: ApiRequest, default: str | None) -> str | None:
    return req.params.enum("variable_type", TYPES, default)  # type: ignore[no-any-return]


@ROUTES.post("/projects/:id/pipeline_schedules/:pipeline_schedule_id/variables")
async def create_variable(req: ApiRequest) -> Response:
    _, schedule = _variable_access(req, deleting=False)
    p = req.params
    p.require("key", "value")
    key = str(p.str("key"))
    if not KEY.fullmatch(key):
        raise validation({"key": ["can contain only letters, digits and '_'."]})
    if any(v.key == key for v in schedule.variables):
        raise validation({"key": [f"({key}) has already been taken"]})
    variable = ScheduleVariable(key, str(p.str("value")), _variable_type(req, "env_var") or "env_var")
    schedule.variables.append(variable)
    return json_response(variable_json(variable), 201)


def _variable(schedule: PipelineSchedule, key: str) -> ScheduleVariable:
    found = next((v for v in schedule.variables if v.key == key), None)
    if found is None:
        raise not_found("Pipeline Schedule Variable")
    return found


@ROUTES.put("/projects/:id/pipeline_schedules/:pipeline_schedule_id/variables/:key")
async def update_variable(req: ApiRequest) -> Response:
    _, schedule = _variable_access(req, deleting=False)
    variable = _variable(schedule, req.path["key"])
    if "value" in req.params:
        variable.value = str(req.params.str("value") or "")
    variable.variable_type = _variable_type(req, variable.variable_type) or variable.variable_type
    return json_response(variable_json(variable))


@ROUTES.delete("/projects/:id/pipeline_schedules/:pipeline_schedule_id/variables/:key")
async def delete_variable(req: ApiRequest) -> Response:
    _, schedule = _variable_access(req, deleting=True)
    variable = _variable(schedule, req.path["key"])
    schedule.variables.remove(variable)
    return json_response(variable_json(variable), 202)
