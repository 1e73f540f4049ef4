"""CI jobs as far as their job token goes: a running job's CI_JOB_TOKEN authenticates as the job's user on
the routes that take job tokens, within the job token scope of the project it reaches.

GitLab's rules [G:lib/gitlab/auth/auth_finders.rb]: a route declares `job_token_allowed` as `true` or
`:request` (the JOB-TOKEN header, or a `job_token`/`token` parameter), `:basic_auth` (Basic auth with the
user `gitlab-ci-token`), or both; a job token where the route takes none authenticates nobody; a token
that is not a running job's is 401 (`find_valid_running_job_by_token!`). The job acts as its user, and
only on projects its scope reaches [G:app/models/ci/job_token/scope.rb, app/policies/project_policy.rb]:
its own project, a project whose inbound allowlist holds it (or a group above it), or any project with
the inbound allowlist off; other private projects do not exist for it (ProjectPolicy `prevent_all`).
Fine-grained job token permissions (`job_token_policies_enabled`, off by default) are not modelled.

Tests start and finish jobs through `/-/sandbox/jobs` (admin token):
- `POST /-/sandbox/jobs`              `{"project": ID or path, "user": ID or username}` -> `{"id", "token"}`
- `POST /-/sandbox/jobs/{id}/finish`  the job's token stops working, as when a job ends
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provisioner.sandbox.http import unauthorized
from provisioner.sandbox.state import Job, Project, State, Token, User

CI_JOB_USER = "gitlab-ci-token"  # Gitlab::Auth::CI_JOB_USER
JOB_TOKEN_PREFIX = "glcbt-"  # Ci::Build::TOKEN_PREFIX (GitLab 16.8+), from memory


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic` header; None without a readable one."""
    auth = request.headers.get("authorization", "")
    if auth[:6].lower() != "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def job_token_in(request: Request, allowed: tuple[str, ...]) -> str | None:
    """The job token a request carries in a way the route takes (basic auth first, as GitLab)."""
    if "basic_auth" in allowed:
        basic = basic_credentials(request)
        if basic is not None and basic[0] == CI_JOB_USER and basic[1]:
            return basic[1]
    if "request" in allowed:
        query = request.query_params
        return query.get("job_token") or query.get("token") or request.headers.get("job-token") or None
    return None


def running_job(state: State, token: str) -> tuple[Job, User]:
    job_id = state.jobs_by_token.get(token)
    job = state.jobs.get(job_id) if job_id is not None else None
    user = state.users.get(job.user_id) if job is not None else None
    if job is None or job.status != "running" or user is None or user.state != "active":
        raise unauthorized()
    return job, user


def job_token_identity(job: Job) -> Token:
    """The token record a job's caller carries: never stored, never listed; `api` passes route scopes
    (a job token is limited by which routes take it, not by scopes)."""
    return Token(-job.id, job.user_id, f"CI job {job.id}", job.token, ["api"], "")


def reaches(state: State, job: Job, project: Project) -> bool:
    """Ci::JobToken::Scope#accessible? with the outbound scope off (GitLab removed it); an instance that
    enforces the allowlist has it on for every project (routes/application_settings.py)."""
    from provisioner.sandbox.routes.application_settings import enforced_job_token_allowlist

    inbound = project.job_token_inbound_enabled or enforced_job_token_allowlist(state)
    if project.id == job.project_id or not inbound:
        return True
    if job.project_id in project.job_token_allowlist_projects:
        return True
    source = state.projects.get(job.project_id)
    groups = {ns.id for ns in state.ancestors(source.namespace_id)} if source is not None else set()
    return bool(groups & set(project.job_token_allowlist_groups))


def admin_routes(guarded: Any, runtime: Any) -> list[Route]:
    def start(request: Request, body: dict[str, Any]) -> Response:
        state: State = runtime.state
        project = _project(state, body.get("project"))
        user = _user(state, body.get("user"))
        job = Job(state.next_id("jobs"), project.id, user.id, JOB_TOKEN_PREFIX + secrets.token_urlsafe(20))
        state.jobs[job.id] = job
        state.jobs_by_token[job.token] = job.id
        runtime.dirty = True
        return JSONResponse({"id": job.id, "token": job.token}, 201)

    def finish(request: Request, body: dict[str, Any]) -> Response:
        job = runtime.state.jobs.get(int(request.path_params["job_id"]))
        if job is None:
            raise ValueError("no such job")
        job.status = "success"
        runtime.dirty = True
        return JSONResponse({"id": job.id, "status": job.status})

    return [
        Route("/-/sandbox/jobs", guarded(start), methods=["POST"]),
        Route("/-/sandbox/jobs/{job_id:int}/finish", guarded(finish), methods=["POST"]),
    ]


def _project(state: State, ident: Any) -> Project:
    text = str(ident)
    project_id = int(text) if text.isdigit() else state.paths.get(text.lower())
    if project_id is None or project_id not in state.projects:
        raise ValueError(f"no project {ident!r}")
    return state.projects[project_id]


def _user(state: State, ident: Any) -> User:
    text = str(ident)
    found = (
        state.users.get(int(text))
        if text.isdigit()
        else next((u for u in state.users.values() if u.username == text), None)
    )
    if found is None:
        raise ValueError(f"no user {ident!r}")
    return found
