"""Project and group members (REFERENCE 2.9): how tests give users their roles, as GitLab does."""

from __future__ import annotations

from starlette.responses import Response

from provisioner.sandbox.auth import find_group, find_project, find_user, require_group, require_project
from provisioner.sandbox.filters import int_list, refuse, search
from provisioner.sandbox.http import (
    json_response,
    message,
    no_content,
    not_found,
    origin,
    paginate,
    param_error,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, Member, Namespace, Project
from provisioner.sandbox.times import date_param
from provisioner.sandbox.views import member_json
from provisioner.sandbox.world import add_member

ROUTES = Routes()
LEVELS = (5, 10, 15, 20, 30, 40, 50)


def _source(req: ApiRequest, *, manage: bool) -> Namespace | Project:
    if req.route.template.startswith("/api/v4/projects"):
        return require_project(req, MAINTAINER) if manage else find_project(req)
    # Guessed: managing group members needs Owner (GitLab lets Maintainers add up to Maintainer).
    return require_group(req, OWNER) if manage else find_group(req)


def _inherited(req: ApiRequest, source: Namespace | Project) -> dict[int, Member]:
    state = req.state
    chain = state.ancestors(source.namespace_id if isinstance(source, Project) else source.id)
    merged: dict[int, Member] = {}
    for ns in reversed(chain):
        merged.update(
            {
                k: v
                for k, v in ns.members.items()
                if k not in merged or v.access_level > merged[k].access_level
            }
        )
    if isinstance(source, Project):
        for user_id, member in source.members.items():
            if user_id not in merged or member.access_level > merged[user_id].access_level:
                merged[user_id] = member
    return merged


def _filtered(req: ApiRequest, members: list[Member], *, all_members: bool) -> list[Member]:
    """`query` (name, username or email), `user_ids`, `skip_users` (direct members only) and EE's
    `state` (members/all; every sandbox member is active); seat information and SAML identities are
    not modelled [G:lib/api/members.rb, ee/lib/ee/api/helpers/members_helpers.rb]."""
    p, users = req.params, req.state.users
    refuse(p, "show_seat_info", "with_saml_identity")
    if (query := p.str("query")) is not None:
        members = [
            m
            for m in members
            if search(query, (users[m.user_id].name, users[m.user_id].username, users[m.user_id].email))
        ]
    if (wanted := int_list(p, "user_ids")) is not None:
        members = [m for m in members if m.user_id in wanted]
    if not all_members and (skipped := int_list(p, "skip_users")) is not None:
        members = [m for m in members if m.user_id not in skipped]
    if all_members and (state := p.enum("state", ("awaiting", "active"))) is not None:
        members = members if state == "active" else []
    return sorted(members, key=lambda m: m.user_id)


def _expiry(req: ApiRequest) -> str | None:
    """`expires_at` is declared a DateTime and stored in a date column: read back as `YYYY-MM-DD`."""
    raw = req.params.raw("expires_at")
    return None if raw in (None, "") else date_param("expires_at", raw)


for kind in ("projects", "groups"):

    @ROUTES.get(f"/{kind}/:id/members")
    async def list_members(req: ApiRequest) -> Response:
        source = _source(req, manage=False)
        members = _filtered(req, list(source.members.values()), all_members=False)
        base = origin(req.http)
        return paginate(req.http, req.params, members, lambda m: member_json(req.state, m, base))

    @ROUTES.get(f"/{kind}/:id/members/all")
    async def list_all_members(req: ApiRequest) -> Response:
        source = _source(req, manage=False)
        members = _filtered(req, list(_inherited(req, source).values()), all_members=True)
        base = origin(req.http)
        return paginate(req.http, req.params, members, lambda m: member_json(req.state, m, base))

    @ROUTES.get(f"/{kind}/:id/members/:user_id")
    async def get_member(req: ApiRequest) -> Response:
        source = _source(req, manage=False)
        member = source.members.get(int(req.path["user_id"])) if req.path["user_id"].isdigit() else None
        if member is None:
            raise not_found("Member")
        return json_response(member_json(req.state, member, origin(req.http)))

    @ROUTES.post(f"/{kind}/:id/members")
    async def add(req: ApiRequest) -> Response:
        source = _source(req, manage=True)
        p = req.params
        p.require("access_level")
        if "user_id" not in p and "username" not in p:
            raise param_error("user_id, username are missing, exactly one parameter must be provided")
        user = find_user(req.state, str(p.raw("user_id", p.raw("username"))))
        if user is None:
            raise not_found("User")
        level = p.int("access_level")
        if level not in LEVELS:
            raise param_error("access_level does not have a valid value")
        if user.id in source.members:
            raise message("Member already exists", 409)
        member = add_member(source, user, level, _expiry(req))
        return json_response(member_json(req.state, member, origin(req.http)), 201)

    @ROUTES.put(f"/{kind}/:id/members/:user_id")
    async def edit(req: ApiRequest) -> Response:
        source = _source(req, manage=True)
        member = source.members.get(int(req.path["user_id"])) if req.path["user_id"].isdigit() else None
        if member is None:
            raise not_found("Member")
        req.params.require("access_level")
        level = req.params.int("access_level")
        if level not in LEVELS:
            raise param_error("access_level does not have a valid value")
        member.access_level = level
        if "expires_at" in req.params:
            member.expires_at = _expiry(req)
        return json_response(member_json(req.state, member, origin(req.http)))

    @ROUTES.delete(f"/{kind}/:id/members/:user_id")
    async def remove(req: ApiRequest) -> Response:
        source = _source(req, manage=True)
        user_id = int(req.path["user_id"]) if req.path["user_id"].isdigit() else -1
        if source.members.pop(user_id, None) is None:
            raise not_found("Member")
        return no_content()
