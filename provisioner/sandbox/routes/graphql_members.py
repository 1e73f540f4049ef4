"""`Project.projectMembers`: a project's members by relation, as GitLab's MembersFinder gives them
[G:app/graphql/resolvers/project_members_resolver.rb, members_resolver.rb,
app/graphql/types/member_interface.rb, access_level_type.rb, project_member_relation_enum.rb].

Relations (default DIRECT and INHERITED): DIRECT, the project's own members; INHERITED, members of the
groups above it; INVITED_GROUPS, members of the groups it is shared with, at most at the share's level.
A user found through several relations is listed once, at the highest level. DESCENDANTS and
SHARED_INTO_ANCESTORS are not modelled and refused. Anyone who can read the project reads its members
(`read_project_member`). `expiresAt` is GitLab's Time type: the member's date at midnight UTC.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from provisioner.sandbox.routes.graphql_resolve import Context, connection, gid
from provisioner.sandbox.state import Member, Project, State

LEVEL_NAMES = {5: "MINIMAL_ACCESS", 10: "GUEST", 15: "PLANNER", 20: "REPORTER", 30: "DEVELOPER"}
LEVEL_NAMES |= {40: "MAINTAINER", 50: "OWNER"}
DEFAULT_RELATIONS = ("DIRECT", "INHERITED")


def project_members(ctx: Context, project: Project, args: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    relations = args.get("relations") or DEFAULT_RELATIONS
    unknown = sorted(set(relations) - {"DIRECT", "INHERITED", "INVITED_GROUPS"})
    if unknown:
        raise GraphQLError(f"the sandbox does not model the relations {', '.join(unknown)}")
    found: dict[int, Member] = {}
    if "INHERITED" in relations:
        for ns in reversed(state.ancestors(project.namespace_id)):
            _keep(found, ns.members.values())
    if "INVITED_GROUPS" in relations:
        for share in project.shared_with:
            invited_group = state.namespaces.get(share.group_id)
            invited = invited_group.members.values() if invited_group else ()
            _keep(found, (_capped(m, share.group_access) for m in invited))
    if "DIRECT" in relations:
        _keep(found, project.members.values())
    members = [found[user_id] for user_id in sorted(found)]
    if args.get("search"):
        needle = str(args["search"]).lower()
        members = [m for m in members if _matches(state, m, needle)]
    return connection(members, lambda m: member_node(state, m), args)


def _capped(member: Member, level: int) -> Member:
    return Member(member.user_id, min(member.access_level, level), member.created_at, member.expires_at)


def _keep(found: dict[int, Member], members: Any) -> None:
    for member in members:
        known = found.get(member.user_id)
        if known is None or member.access_level >= known.access_level:
            found[member.user_id] = member


def _matches(state: State, member: Member, needle: str) -> bool:
    user = state.users[member.user_id]
    return needle in user.username.lower() or needle in user.name.lower()


def member_node(state: State, member: Member) -> dict[str, Any]:
    user = state.users[member.user_id]
    level = member.access_level
    return {
        "__typename": "ProjectMember",
        "id": gid("ProjectMember", member.user_id),
        "accessLevel": {
            "integerValue": level,
            "stringValue": LEVEL_NAMES.get(level),
            "humanAccess": str(LEVEL_NAMES.get(level, level)).replace("_", " ").title(),
        },
        "createdAt": member.created_at,
        "expiresAt": f"{member.expires_at[:10]}T00:00:00Z" if member.expires_at else None,
        "user": {"id": gid("User", user.id), "username": user.username, "name": user.name},
    }
