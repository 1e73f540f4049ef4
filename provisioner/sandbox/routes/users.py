"""Users and their personal access tokens, as an administrator creates them (REFERENCE 2.15)."""

from __future__ import annotations

import re
import secrets

from starlette.responses import Response

from provisioner.sandbox.auth import find_user, require_admin, require_user
from provisioner.sandbox.filters import between, refuse, search
from provisioner.sandbox.http import json_response, message, not_found, origin, paginate, param_error
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import Namespace, State, Token, User, now_iso
from provisioner.sandbox.times import date_param
from provisioner.sandbox.views import token_json, user_basic, user_full

ROUTES = Routes()
TOKEN_SCOPES = (
    "api",
    "read_api",
    "read_user",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "create_runner",
    "manage_runner",
    "self_rotate",
    "sudo",
    "admin_mode",
)


def add_user(state: State, username: str, name: str, email: str, *, is_admin: bool = False) -> User:
    ns = Namespace(
        id=state.next_id("namespace"), name=username, path=username, kind="user", created_at=now_iso()
    )
    user = User(state.next_id("user"), username, name, email, ns.id, now_iso(), is_admin=is_admin)
    ns.owner_id = user.id
    state.users[user.id] = user
    state.add_namespace(ns)
    return user


def add_token(
    state: State,
    user: User,
    name: str,
    scopes: list[str],
    *,
    secret: str | None = None,
    expires_at: str | None = None,
) -> Token:
    token = Token(
        id=state.next_id("token"),
        user_id=user.id,
        name=name,
        secret=secret or "glpat-" + secrets.token_urlsafe(15),
        scopes=scopes,
        created_at=now_iso(),
        expires_at=expires_at,
    )
    state.add_token(token)
    return token


@ROUTES.get("/users")
async def list_users(req: ApiRequest) -> Response:
    """UsersFinder [G:lib/api/users.rb, doc/api/users.md]: `username`, `search`, states, human or bot,
    `admins` (administrators asking), creation dates, `order_by`/`sort`; identities, two-factor and
    project membership filters are not modelled (refused)."""
    viewer = require_user(req)
    p = req.params
    refuse(p, "two_factor", "without_projects", "extern_uid", "provider", "saml_provider_id", "skip_ldap")
    refuse(p, "public_email", "custom_attributes", "exclude_active")
    users = sorted(req.state.users.values(), key=lambda u: u.id)
    if (username := p.str("username")) is not None:
        users = [u for u in users if u.username.lower() == username.lower()]
    if (needle := p.str("search")) is not None:
        users = [u for u in users if search(needle, (u.username, u.name, u.email))]
    for flag, state in (("active", "active"), ("blocked", "blocked")):
        if p.bool(flag, False):
            users = [u for u in users if u.state == state]
    if p.bool("external", False):
        users = []  # no external users in the sandbox
    if p.bool("humans", False) or p.bool("exclude_internal", False) or p.bool("without_project_bots", False):
        users = [u for u in users if not u.bot]
    if viewer.is_admin and p.bool("admins", False):
        users = [u for u in users if u.is_admin]
    users = between(p, users, lambda u: u.created_at, "created_after", "created_before")
    order = p.enum("order_by", ("id", "name", "username", "created_at", "updated_at"), "id")
    key = "created_at" if order == "updated_at" else order
    users.sort(
        key=lambda u: (getattr(u, key), u.id), reverse=p.enum("sort", ("asc", "desc"), "desc") == "desc"
    )
    base = origin(req.http)
    if viewer.is_admin:
        return paginate(req.http, req.params, users, lambda u: user_full(u, base, viewer_is_admin=True))
    return paginate(req.http, req.params, users, lambda u: user_basic(u, base))


@ROUTES.get("/users/:user_id")
async def get_user(req: ApiRequest) -> Response:
    viewer = require_user(req)
    user = find_user(req.state, req.path["user_id"])
    if user is None:
        raise not_found("User")
    return json_response(user_full(user, origin(req.http), viewer_is_admin=viewer.is_admin))


@ROUTES.post("/users")
async def create_user(req: ApiRequest) -> Response:
    require_admin(req)
    p = req.params
    p.require("email", "name", "username")
    username, email = p.str("username"), p.str("email")
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", username):
        return json_response(
            {"message": {"username": ["can contain only letters, digits, '_', '-' and '.'"]}}, 400
        )
    if any(u.username.lower() == username.lower() for u in req.state.users.values()):
        raise message("Username has already been taken", 409)
    if any(u.email.lower() == email.lower() for u in req.state.users.values()):
        raise message("Email has already been taken", 409)
    user = add_user(req.state, username, p.str("name"), email, is_admin=bool(p.bool("admin", False)))
    return json_response(user_full(user, origin(req.http), viewer_is_admin=True), 201)


@ROUTES.post("/users/:user_id/personal_access_tokens")
async def create_token(req: ApiRequest) -> Response:
    require_admin(req)
    user = find_user(req.state, req.path["user_id"])
    if user is None:
        raise not_found("User")
    p = req.params
    p.require("name", "scopes")
    scopes = p.list("scopes")
    if not scopes or any(s not in TOKEN_SCOPES for s in scopes):
        raise param_error("scopes does not have a valid value")
    expires = p.raw("expires_at")
    # `expires_at` is a Date: `2026-12-04` [G:lib/api/users.rb, doc/api/users.md].
    token = add_token(
        req.state,
        user,
        p.str("name"),
        scopes,
        expires_at=date_param("expires_at", expires) if expires else None,
    )
    token.description = p.str("description", "")
    return json_response(token_json(token, with_secret=True), 201)
