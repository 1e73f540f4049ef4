"""Project and group members (REFERENCE 2.9): how tests give users their roles, as GitLab does.

What GitLab refuses, and how:
- a direct membership below what the user inherits from a group above: 400 on `access_level`
  [G:app/models/member.rb `higher_access_level_than_group`];
- on a project, adding, raising to, changing or removing an Owner unless the caller is the project's
  Owner (`manage_owners`): 403 [G:app/services/members/create_service.rb, update_service.rb,
  base_service.rb `cannot_assign_owner_responsibilities_to_member_in_project?`];
- on a group, changing or removing its last Owner (no other Owner in it or a group above): 403
  [G:app/policies/group_member_policy.rb `last_owner` prevents update and destroy;
  app/models/members/group_member.rb `last_owner_of_the_group?`];
- an expiry date in the past: 400 on `expires_at` (wording unverified);
- Planner (15) only from GitLab 17.7 (`rest:Member.access_level=planner`); Minimal Access (5) only
  for groups, on EE.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from provisioner.sandbox.auth import (
    find_group,
    find_project,
    find_user,
    project_access,
    require_group,
    require_project,
    user_of,
)
from provisioner.sandbox.filters import int_list, refuse, search
from provisioner.sandbox.http import (
    json_response,
    message,
    no_content,
    not_found,
    origin,
    paginate,
    param_error,
    validation,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, Member, Namespace, Project, State
from provisioner.sandbox.times import date_param
from provisioner.sandbox.versions import enterprise, has
from provisioner.sandbox.views import member_json
from provisioner.sandbox.world import add_member

ROUTES = Routes()
HUMAN = {5: "Minimal Access", 10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer"}
HUMAN |= {40: "Maintainer", 50: "Owner"}


def _levels(state: State, source: Namespace | Project) -> tuple[int, ...]:
    levels = [10, 20, 30, 40, 50]
    if has(state, "rest:Member.access_level=planner"):
        levels.append(15)
    if isinstance(source, Namespace) and enterprise(state):
        levels.append(5)  # Minimal Access: EE, groups only
    return tuple(sorted(levels))


def _level(req: ApiRequest, source: Namespace | Project) -> int:
    req.params.require("access_level")
    level: int = req.params.int("access_level")
    if level not in _levels(req.state, source):
        raise param_error("access_level does not have a valid value")
    return level


def _above(state: State, source: Namespace | Project, user_id: int) -> tuple[int, Namespace] | None:
    """The user's highest membership in the groups above `source` (`highest_group_member`)."""
    chain = state.ancestors(source.namespace_id if isinstance(source, Project) else source.parent_id)
    found = [(ns.members[user_id].access_level, ns) for ns in chain if user_id in ns.members]
    return max(found, key=lambda f: f[0], default=None)


def _check(req: ApiRequest, source: Namespace | Project, user_id: int, level: int, old: int | None) -> None:
    above = _above(req.state, source, user_id)
    if above is not None and above[0] > level:
        text = f"should be greater than or equal to {HUMAN[above[0]]} inherited membership from group {above[1].name}"
        raise validation({"access_level": [text]})
    _owner_rule(req, source, level if old is None else max(level, old))


def _owner_rule(req: ApiRequest, source: Namespace | Project, level: int) -> None:
    if (
        isinstance(source, Project)
        and level == OWNER
        and project_access(req.state, user_of(req), source) < OWNER
    ):
        raise message("403 Forbidden", 403)


def _last_owner(state: State, source: Namespace | Project, member: Member) -> bool:
    if not isinstance(source, Namespace) or member.access_level != OWNER:
        return False
    owners = [
        (ns.id, m.user_id)
        for ns in state.ancestors(source.id)
        for m in ns.members.values()
        if m.access_level == OWNER
    ]
    return not [o for o in owners if o != (source.id, member.user_id) and not state.users[o[1]].bot]


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
    if raw in (None, ""):
        return None
    day = date_param("expires_at", raw)
    if day < datetime.now(UTC).date().isoformat():
        raise validation({"expires_at": ["cannot be a date in the past"]})
    return day


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
        level = _level(req, source)
        if user.id in source.members:
            raise message("Member already exists", 409)
        _check(req, source, user.id, level, None)
        member = add_member(source, user, level, _expiry(req))
        return json_response(member_json(req.state, member, origin(req.http)), 201)

    @ROUTES.put(f"/{kind}/:id/members/:user_id")
    async def edit(req: ApiRequest) -> Response:
        source = _source(req, manage=True)
        member = source.members.get(int(req.path["user_id"])) if req.path["user_id"].isdigit() else None
        if member is None:
            raise not_found("Member")
        level = _level(req, source)
        if _last_owner(req.state, source, member):
            raise message("403 Forbidden", 403)
        _check(req, source, member.user_id, level, member.access_level)
        expires = _expiry(req) if "expires_at" in req.params else member.expires_at
        member.access_level, member.expires_at = level, expires
        return json_response(member_json(req.state, member, origin(req.http)))

    @ROUTES.delete(f"/{kind}/:id/members/:user_id")
    async def remove(req: ApiRequest) -> Response:
        source = _source(req, manage=True)
        user_id = int(req.path["user_id"]) if req.path["user_id"].isdigit() else -1
        member = source.members.get(user_id)
        if member is None:
            raise not_found("Member")
        if _last_owner(req.state, source, member):
            raise message("403 Forbidden", 403)
        _owner_rule(req, source, member.access_level)
        del source.members[user_id]
        return no_content()
