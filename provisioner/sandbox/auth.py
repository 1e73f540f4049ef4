"""Who is asking and what they may see or do: tokens, scopes, roles, visibility (REFERENCE 1.1, 1.2, 1.4).

404 hides existence: anything the caller cannot read is "not found"; 403 only for visible things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request

from provisioner.sandbox import ci_jobs
from provisioner.sandbox.http import ApiError, forbidden, message, not_found, own_url, unauthorized
from provisioner.sandbox.routing import ApiRequest, Route
from provisioner.sandbox.state import (
    ADMIN,
    GUEST,
    OWNER,
    REPORTER,
    Job,
    Namespace,
    Project,
    State,
    Token,
    User,
)

INSUFFICIENT_SCOPE = "The request requires higher privileges than provided by the access token."
TOKEN_EXPIRED = "Token is expired. You can either do re-authorization or token refresh."
TOKEN_REVOKED = "Token was revoked. You have to re-authorize from the user."
OAUTH_REALM = "Protected by OAuth 2.0"  # Rack::OAuth2's default realm


@dataclass(frozen=True)
class Caller:
    user: User
    token: Token
    job: Job | None = None  # authenticated by this running job's CI_JOB_TOKEN (ci_jobs.py)

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def token_secret(request: Request) -> str | None:
    headers = request.headers
    secret = headers.get("private-token")
    if secret is None:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            secret = auth[7:].strip()
    if secret is None:
        query = request.query_params
        secret = query.get("private_token") or query.get("access_token")
    return secret


def identify(state: State, request: Request, route: Route | None = None) -> Caller | None:
    """The caller behind the request's token; None when there is none; 401 for a bad one.

    `route` says whether a CI job token, or a personal access token as a Basic auth password, may
    authenticate (GitLab's `route_setting :authentication`, see ci_jobs.py).
    """
    secret = token_secret(request)
    if secret is None and route is not None:  # an access token comes first [G:lib/api/api_guard.rb]
        job_token = ci_jobs.job_token_in(request, route.job_token)
        if job_token is not None:
            job, job_user = ci_jobs.running_job(state, job_token)
            return Caller(job_user, ci_jobs.job_token_identity(job), job)
        basic = ci_jobs.basic_credentials(request) if route.basic_auth_pat else None
        if basic is not None and basic[0] != ci_jobs.CI_JOB_USER and basic[1]:
            secret = basic[1]
    if secret is None:
        job_route = route is not None and route.job_token
        if not job_route and (request.headers.get("job-token") or request.query_params.get("job_token")):
            raise unauthorized()  # a job token where the route takes none
        return None  # a job token where the route takes it another way: nobody [G:lib/gitlab/auth/auth_finders.rb]
    token_id = state.tokens_by_secret.get(secret)
    token = state.tokens.get(token_id) if token_id is not None else None
    if token is None:
        raise unauthorized()
    # AccessTokenValidationService checks expiry before revocation.
    if _expired(token):
        raise invalid_token(TOKEN_EXPIRED)
    if token.revoked:
        raise invalid_token(TOKEN_REVOKED)
    user = state.users.get(token.user_id)
    if user is None or user.state != "active":
        raise unauthorized()
    caller = Caller(user, token)
    sudo = request.headers.get("sudo") or request.query_params.get("sudo")
    return _impersonate(state, caller, sudo) if sudo else caller


def _expired(token: Token) -> bool:
    return expired_date(token.expires_at)


def expired_date(expires_at: str | None) -> bool:
    return expires_at is not None and expires_at[:10] < datetime.now(UTC).strftime("%Y-%m-%d")


def _impersonate(state: State, caller: Caller, sudo: str) -> Caller:
    if not caller.is_admin or "sudo" not in caller.token.scopes:
        raise forbidden("Must be admin to use sudo")
    target = find_user(state, sudo)
    if target is None:
        raise message(f"404 User with ID or username '{sudo}' Not Found", 404)
    return Caller(target, caller.token)


def find_user(state: State, ident: str | int) -> User | None:
    text = str(ident)
    if text.isdigit():
        return state.users.get(int(text))
    return next((u for u in state.users.values() if u.username.lower() == text.lower()), None)


def scope_error(scopes: tuple[str, ...]) -> ApiError:
    return ApiError(
        403,
        {"error": "insufficient_scope", "error_description": INSUFFICIENT_SCOPE, "scope": " ".join(scopes)},
        {
            "WWW-Authenticate": f'Bearer realm="{OAUTH_REALM}", error="insufficient_scope", '
            f'error_description="{INSUFFICIENT_SCOPE}", scope="{" ".join(scopes)}"'
        },
    )


def invalid_token(description: str) -> ApiError:
    """A known token that may no longer be used: APIGuard answers with Rack::OAuth2's
    `Bearer::Unauthorized(:invalid_token, ...)`, not `401 Unauthorized` [G:lib/api/api_guard.rb]."""
    return ApiError(
        401,
        {"error": "invalid_token", "error_description": description},
        {
            "WWW-Authenticate": f'Bearer realm="{OAUTH_REALM}", error="invalid_token", '
            f'error_description="{description}"'
        },
    )


def user_of(req: ApiRequest) -> User | None:
    return req.caller.user if req.caller else None


def require_user(req: ApiRequest) -> User:
    if req.caller is None:
        raise unauthorized()
    return req.caller.user


def require_admin(req: ApiRequest) -> User:
    user = require_user(req)
    if not user.is_admin:
        raise forbidden()
    return user


# -- roles ---------------------------------------------------------------------------------------
def namespace_access(state: State, user: User | None, namespace_id: int | None) -> int:
    """The user's level in a group, inherited from ancestor groups; OWNER of their own namespace."""
    if user is None:
        return 0
    if user.is_admin:
        return ADMIN
    level = 0
    for ns in state.ancestors(namespace_id):
        if ns.kind == "user" and ns.owner_id == user.id:
            return OWNER
        member = ns.members.get(user.id)
        if member is not None:
            level = max(level, member.access_level)
    return level


def project_access(state: State, user: User | None, project: Project) -> int:
    if user is None:
        return 0
    if user.is_admin:
        return ADMIN
    level = namespace_access(state, user, project.namespace_id)
    member = project.members.get(user.id)
    if member is not None:
        level = max(level, member.access_level)
    for share in project.shared_with:
        if share.group_id in state.namespaces:
            level = max(level, min(share.group_access, namespace_access(state, user, share.group_id)))
    return level


def can_read_project(state: State, user: User | None, project: Project) -> bool:
    if project.visibility == "public" or (project.visibility == "internal" and user is not None):
        return True
    return project_access(state, user, project) >= GUEST


def can_read_code(state: State, user: User | None, project: Project) -> bool:
    if project.visibility != "private" and project.settings.get("repository_access_level") == "enabled":
        return can_read_project(state, user, project)
    return project_access(state, user, project) >= REPORTER


def can_read_group(state: State, user: User | None, ns: Namespace) -> bool:
    if ns.visibility == "public" or (ns.visibility == "internal" and user is not None):
        return True
    if user is None:
        return False
    if namespace_access(state, user, ns.id) >= GUEST:
        return True
    below = {ns.id} | {d.id for d in state.descendants(ns.id)}
    if any(namespace_access(state, user, d) >= GUEST for d in below):
        return True
    return any(
        p.namespace_id in below and project_access(state, user, p) >= GUEST for p in state.projects.values()
    )


# -- finding things (REFERENCE 1.2) --------------------------------------------------------------
_NUMERIC = re.compile(r"-?\d+")


def find_project(req: ApiRequest, ident: str | None = None) -> Project:
    ident = req.path["id"] if ident is None else ident
    state = req.state
    project: Project | None = None
    if _NUMERIC.fullmatch(ident):
        project = state.projects.get(int(ident))
    elif "/" in ident:
        project_id = state.paths.get(ident.lower())
        if project_id is None and ident.lower() in state.redirects:
            _moved(req, ident, state.redirects[ident.lower()])
        project = state.projects.get(project_id) if project_id is not None else None
    if project is None or not can_read_project(state, user_of(req), project):
        raise not_found("Project")
    return project


def _moved(req: ApiRequest, old: str, project_id: int) -> None:
    if req.method not in ("GET", "HEAD"):
        raise message("Non GET methods are not allowed for moved projects", 405)
    url = own_url(req.http).replace(_encoded(old), str(project_id), 1)
    query = req.http.url.query
    raise ApiError(
        301, {"message": "301 Moved Permanently"}, {"Location": url + (f"?{query}" if query else "")}
    )


def _encoded(path: str) -> str:
    return quote(path, safe="")


def require_project(req: ApiRequest, level: int, ident: str | None = None) -> Project:
    """The project if the caller has at least `level` on it: 404 if invisible, 403 if too low."""
    project = find_project(req, ident)
    if project_access(req.state, user_of(req), project) < level:
        if req.caller is None:
            raise unauthorized()
        raise forbidden()
    return project


def find_group(req: ApiRequest, ident: str | None = None) -> Namespace:
    ident = req.path["id"] if ident is None else ident
    state = req.state
    ns: Namespace | None = None
    if _NUMERIC.fullmatch(ident):
        ns = state.namespaces.get(int(ident))
    else:
        found = state.namespace_paths.get(ident.lower())
        ns = state.namespaces.get(found) if found is not None else None
    if ns is None or ns.kind != "group" or not can_read_group(state, user_of(req), ns):
        raise not_found("Group")
    return ns


def require_group(req: ApiRequest, level: int, ident: str | None = None) -> Namespace:
    ns = find_group(req, ident)
    if namespace_access(req.state, user_of(req), ns.id) < level:
        if req.caller is None:
            raise unauthorized()
        raise forbidden()
    return ns
