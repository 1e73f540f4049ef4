"""Groups and subgroups, and the projects in them (REFERENCE 2.2)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import (
    can_read_group,
    find_group,
    namespace_access,
    require_group,
    require_user,
    user_of,
)
from provisioner.sandbox.filters import access_level, int_list, refuse, search
from provisioner.sandbox.http import ApiError, json_response, message, origin, paginate
from provisioner.sandbox.project_view import project_json
from provisioner.sandbox.routes.project_lists import render_list
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import GUEST, MAINTAINER, OWNER, Namespace, State, User
from provisioner.sandbox.views import group_detail_json, group_json
from provisioner.sandbox.world import add_member, new_group

ROUTES = Routes()
VISIBILITIES = ("private", "internal", "public")


def _tree(state: State, ns: Namespace) -> set[int]:
    return {ns.id} | {d.id for d in state.descendants(ns.id)}


def _authorized(state: State, user: User, ns: Namespace) -> bool:
    """`User#authorized_groups`: groups the user is a member of (and their subgroups), and the groups of
    projects the user is a member of."""
    if namespace_access(state, user, ns.id) >= GUEST:
        return True
    return any(p.namespace_id == ns.id and user.id in p.members for p in state.projects.values())


def find_groups(req: ApiRequest, parent: Namespace | None, *, descendants: bool = False) -> list[Namespace]:
    """GroupsFinder as the Groups API drives it (`find_groups`, `group_list_params`) [G:lib/api/groups.rb,
    app/finders/groups_finder.rb]: without `all_available` a signed-in user who is not an administrator
    sees the groups they belong to, an administrator every group, an anonymous caller the public ones;
    `top_level_only` replaces the parent (even under /groups/:id/subgroups)."""
    p, state, viewer = req.params, req.state, user_of(req)
    refuse(p, "statistics", "marked_for_deletion_on", "repository_storage")
    all_available = p.bool("all_available")
    if all_available is None:
        all_available = bool(viewer and viewer.is_admin)
    groups = [ns for ns in state.namespaces.values() if ns.kind == "group"]
    if p.bool("top_level_only", False):
        groups = [g for g in groups if g.parent_id is None]
    elif parent is not None:
        below = _tree(state, parent) - {parent.id} if descendants else None
        groups = [g for g in groups if (g.id in below if below is not None else g.parent_id == parent.id)]
    if viewer is None:
        groups = [g for g in groups if g.visibility == "public"]
    elif p.bool("owned", False):
        groups = [g for g in groups if namespace_access(state, viewer, g.id) >= OWNER]
    elif (level := access_level(p)) is not None:
        groups = [g for g in groups if namespace_access(state, viewer, g.id) >= level]
    elif not all_available:
        groups = [g for g in groups if _authorized(state, viewer, g)]
    groups = [g for g in groups if can_read_group(state, viewer, g)]
    if (visibility := p.enum("visibility", VISIBILITIES)) is not None:
        groups = [g for g in groups if g.visibility == visibility]
    if (needle := p.str("search")) is not None:
        groups = [g for g in groups if search(needle, (g.name, g.path))]
    skipped = set(int_list(p, "skip_groups") or ())
    groups = [g for g in groups if g.id not in skipped]
    return _ordered(req, groups)


def _ordered(req: ApiRequest, groups: list[Namespace]) -> list[Namespace]:
    """`order_by` name, path, id or similarity (by name without a search), then id ascending."""
    p = req.params
    order = p.enum("order_by", ("name", "path", "id", "similarity"), "name")
    descending = p.enum("sort", ("asc", "desc"), "asc") == "desc"
    if order == "id":
        return sorted(groups, key=lambda g: g.id, reverse=descending)
    column = "path" if order == "path" else "name"
    ordered = sorted(groups, key=lambda g: g.id)
    return sorted(ordered, key=lambda g: str(getattr(g, column)).lower(), reverse=descending)


def _render(req: ApiRequest, groups: list[Namespace], **options: Any) -> Response:
    state, base, viewer = req.state, origin(req.http), user_of(req)
    custom = bool(viewer and viewer.is_admin and req.params.bool("with_custom_attributes", False))

    def render(g: Namespace) -> dict[str, Any]:
        data = group_json(state, g, base)
        if custom:
            data["custom_attributes"] = []  # the sandbox's groups have none
        return data

    return paginate(req.http, req.params, groups, render, **options)


@ROUTES.get("/groups", anonymous=True)
async def list_groups(req: ApiRequest) -> Response:
    return _render(req, find_groups(req, None), keyset_type="Group")


@ROUTES.get("/groups/:id", anonymous=True)
async def get_group(req: ApiRequest) -> Response:
    ns = find_group(req)
    state, base = req.state, origin(req.http)
    data = group_detail_json(state, ns, base, user_of(req))
    if req.params.bool("with_projects", True):
        # Deprecated embedding, capped at 100 like GitLab.
        projects = [pr for pr in state.projects.values() if pr.namespace_id == ns.id][:100]
        data["projects"] = [project_json(state, pr, base, user_of(req)) for pr in projects]
        data["shared_projects"] = []
    return json_response(data)


@ROUTES.post("/groups")
async def create_group(req: ApiRequest) -> Response:
    user = require_user(req)
    p, state = req.params, req.state
    p.require("name", "path")
    name, path = p.str("name"), p.str("path")
    visibility = p.enum("visibility", VISIBILITIES, "private")
    parent_id = p.int("parent_id")
    if parent_id is not None:
        parent = find_group(req, str(parent_id))
        if namespace_access(state, user, parent.id) < MAINTAINER:
            raise ApiError(403, {"message": "403 Forbidden"})
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", path):
        raise message(
            "Failed to save group {:path=>[\"can contain only letters, digits, '_', '-' and '.'\"]}",
            400,
        )
    siblings = [ns for ns in state.namespaces.values() if ns.parent_id == parent_id]
    if parent_id is None:
        siblings = [ns for ns in state.namespaces.values() if ns.parent_id is None]
    if any(ns.path.lower() == path.lower() for ns in siblings):
        # GitLab renders the model errors into the text here (wording from memory).
        raise message('Failed to save group {:path=>["has already been taken"]}', 400)
    ns = new_group(
        state, name, path, parent_id=parent_id, visibility=visibility, description=p.str("description", "")
    )
    if not user.is_admin or parent_id is None:
        add_member(ns, user, OWNER)
    return json_response(group_json(state, ns, origin(req.http)), 201)


@ROUTES.put("/groups/:id")
async def update_group(req: ApiRequest) -> Response:
    """Owners and administrators only (`admin_group`); attributes the sandbox does not model are
    ignored, as Grape ignores undeclared ones [G:doc/api/groups.md "Update group attributes"]."""
    ns = require_group(req, OWNER)
    p = req.params
    if "name" in p:
        ns.name = p.str("name")
    if "description" in p:
        ns.description = p.str("description", "")
    if "visibility" in p:
        ns.visibility = p.enum("visibility", VISIBILITIES, ns.visibility)
    return json_response(group_json(req.state, ns, origin(req.http)))


@ROUTES.delete("/groups/:id")
async def delete_group(req: ApiRequest) -> Response:
    ns = require_group(req, OWNER)
    state = req.state
    doomed = _tree(state, ns)
    for project in [pr for pr in state.projects.values() if pr.namespace_id in doomed]:
        state.remove_project(project)
    for ns_id in doomed:
        state.namespace_paths.pop(state.namespace_full_path(ns_id).lower(), None)
    for ns_id in doomed:
        del state.namespaces[ns_id]
    return json_response({"message": "202 Accepted"}, 202)


@ROUTES.get("/groups/:id/subgroups", anonymous=True)
async def subgroups(req: ApiRequest) -> Response:
    return _render(req, find_groups(req, find_group(req)))


@ROUTES.get("/groups/:id/descendant_groups", anonymous=True)
async def descendant_groups(req: ApiRequest) -> Response:
    return _render(req, find_groups(req, find_group(req), descendants=True))


@ROUTES.get("/groups/:id/projects", anonymous=True)
async def group_projects(req: ApiRequest) -> Response:
    """GroupProjectsFinder: the group's projects, its subgroups' with `include_subgroups`, its
    ancestors' with `include_ancestor_groups`, the projects shared into it unless `with_shared=false`;
    then the filters render_list applies [G:lib/api/groups.rb]."""
    ns = find_group(req)
    state, p = req.state, req.params
    scope = _tree(state, ns) if p.bool("include_subgroups", False) else {ns.id}
    if p.bool("include_ancestor_groups", False):
        scope |= {a.id for a in state.ancestors(ns.parent_id)}
    projects = [pr for pr in state.projects.values() if pr.namespace_id in scope]
    if p.bool("with_shared", True):
        shared = [
            pr
            for pr in state.projects.values()
            if pr.namespace_id not in scope and any(s.group_id == ns.id for s in pr.shared_with)
        ]
        projects.extend(shared)
    return render_list(req, projects)
