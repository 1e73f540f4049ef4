"""JSON renderings of the small entities, shaped like GitLab's API entities."""

from __future__ import annotations

from typing import Any

from provisioner.sandbox.auth import _expired, can_read_group
from provisioner.sandbox.state import GroupShare, Member, Namespace, State, Token, User

LEVEL_NAMES = {0: "No access", 30: "Developers + Maintainers", 40: "Maintainers", 60: "Admins"}


def user_basic(user: User, origin: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": user.state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{origin}/{user.username}",
    }


def user_full(user: User, origin: str, *, viewer_is_admin: bool) -> dict[str, Any]:
    data = user_basic(user, origin) | {
        "created_at": user.created_at,
        "bio": "",
        "location": "",
        "public_email": None,
        "organization": "",
        "job_title": "",
        "bot": user.bot,
        "email": user.email,
        "can_create_group": True,
        "can_create_project": True,
        "projects_limit": 100000,
        "two_factor_enabled": False,
        "external": False,
        "private_profile": False,
    }
    if viewer_is_admin:
        data["is_admin"] = user.is_admin
    return data


def token_json(token: Token, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "revoked": token.revoked,
        "created_at": token.created_at,
        "description": token.description,
        "scopes": list(token.scopes),
        "user_id": token.user_id,
        "last_used_at": token.last_used_at,
        "active": not token.revoked and not _expired(token),
        "expires_at": token.expires_at,
    }
    if with_secret:
        data["token"] = token.secret
    return data


def member_json(state: State, member: Member, origin: str) -> dict[str, Any]:
    user = state.users[member.user_id]
    return user_basic(user, origin) | {
        "access_level": member.access_level,
        "created_at": member.created_at,
        "expires_at": member.expires_at,
        "membership_state": "active",
    }


def namespace_json(state: State, ns: Namespace, origin: str) -> dict[str, Any]:
    full_path = state.namespace_full_path(ns.id)
    return {
        "id": ns.id,
        "name": ns.name,
        "path": ns.path,
        "kind": ns.kind,
        "full_path": full_path,
        "parent_id": ns.parent_id,
        "avatar_url": None,
        "web_url": f"{origin}/{'groups/' if ns.kind == 'group' else ''}{full_path}",
    }


def group_json(state: State, ns: Namespace, origin: str) -> dict[str, Any]:
    full_path = state.namespace_full_path(ns.id)
    names = [a.name for a in reversed(state.ancestors(ns.id))]
    return {
        "id": ns.id,
        "web_url": f"{origin}/groups/{full_path}",
        "name": ns.name,
        "path": ns.path,
        "description": ns.description,
        "visibility": ns.visibility,
        "share_with_group_lock": False,
        "require_two_factor_authentication": False,
        "project_creation_level": "developer",
        "subgroup_creation_level": "maintainer",
        "lfs_enabled": True,
        "request_access_enabled": True,
        "full_name": " / ".join(names),
        "full_path": full_path,
        "created_at": ns.created_at,
        "parent_id": ns.parent_id,
        "shared_runners_setting": "enabled",
        "avatar_url": None,
    }


def group_detail_json(state: State, ns: Namespace, origin: str, viewer: User | None) -> dict[str, Any]:
    """GroupDetail: the group and the groups it is shared with that the caller may see
    [G:lib/api/entities/group_detail.rb `shared_with_group_links_visible_to_user`,
    lib/api/entities/shared_group_with_group.rb]."""
    return group_json(state, ns, origin) | {"shared_with_groups": shares_json(state, ns.shared_with, viewer)}


def shares_json(state: State, shares: list[GroupShare], viewer: User | None) -> list[dict[str, Any]]:
    """SharedGroupWithGroup / SharedGroupWithProject: one entry per share with a group the caller can read."""
    out = []
    for share in shares:
        ns = state.namespaces.get(share.group_id)
        if ns is None or not can_read_group(state, viewer, ns):
            continue
        out.append(
            {
                "group_id": share.group_id,
                "group_name": ns.name,
                "group_full_path": state.namespace_full_path(ns.id),
                "group_access_level": share.group_access,
                "expires_at": share.expires_at,
            }
        )
    return out


def access_level_json(level_id: int, level: int) -> dict[str, Any]:
    return {
        "id": level_id,
        "access_level": level,
        "access_level_description": LEVEL_NAMES.get(level, str(level)),
        "deploy_key_id": None,
        "user_id": None,
        "group_id": None,
    }
