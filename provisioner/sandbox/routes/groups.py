"""Groups and subgroups, and the projects in them (REFERENCE 2.2)."""

from __future__ import annotations

import re

from starlette.responses import Response

from provisioner.sandbox.auth import (
    can_read_group,
    find_group,
    namespace_access,
    require_group,
    require_user,
    user_of,
)
from provisioner.sandbox.http import ApiError, json_response, message, origin, paginate
from provisioner.sandbox.project_view import project_json
from provisioner.sandbox.routes.projects import render_list
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, Namespace, State
from provisioner.sandbox.views import group_json
from provisioner.sandbox.world import add_member, new_group

ROUTES = Routes()
VISIBILITIES = ("private", "internal", "public")


def _visible_groups(req: ApiRequest) -> list[Namespace]:
    state, viewer = req.state, user_of(req)
    groups = [ns for ns in state.namespaces.values() if ns.kind == "group"]
    return [ns for ns in groups if can_read_group(state, viewer, ns)]


def _tree(state: State, ns: Namespace) -> set[int]:
    return {ns.id} | {d.id for d in state.descendants(ns.id)}


@ROUTES.get("/groups", anonymous=True)
async def list_groups(req: ApiRequest) -> Response:
    p, state, viewer = req.params, req.state, user_of(req)
    groups = _visible_groups(req)
    if p.bool("top_level_only", False):
        groups = [g for g in groups if g.parent_id is None]
    if (search := p.str("search")) is not None:
        groups = [g for g in groups if search.lower() in (g.name + " " + g.path).lower()]
    if viewer and p.bool("owned", False):
        groups = [g for g in groups if namespace_access(state, viewer, g.id) >= OWNER]
    if viewer and (level := p.int("min_access_level")) is not None:
        groups = [g for g in groups if namespace_access(state, viewer, g.id) >= level]
    order = p.enum("order_by", ("name", "path", "id", "similarity"), "name")
    groups.sort(key=lambda g: g.id if order == "id" else state.namespace_full_path(g.id).lower())
    if p.enum("sort", ("asc", "desc"), "asc") == "desc":
        groups.reverse()
    base = origin(req.http)
    return paginate(req.http, p, groups, lambda g: group_json(state, g, base), keyset_type="Group")


@ROUTES.get("/groups/:id", anonymous=True)
async def get_group(req: ApiRequest) -> Response:
    ns = find_group(req)
    state, base = req.state, origin(req.http)
    data = group_json(state, ns, base)
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


def _groups_below(req: ApiRequest, *, direct: bool) -> Response:
    ns = find_group(req)
    state, viewer = req.state, user_of(req)
    below = [d for d in state.descendants(ns.id) if not direct or d.parent_id == ns.id]
    below = [d for d in below if can_read_group(state, viewer, d)]
    base = origin(req.http)
    return paginate(req.http, req.params, below, lambda g: group_json(state, g, base))


@ROUTES.get("/groups/:id/subgroups", anonymous=True)
async def subgroups(req: ApiRequest) -> Response:
    return _groups_below(req, direct=True)


@ROUTES.get("/groups/:id/descendant_groups", anonymous=True)
async def descendant_groups(req: ApiRequest) -> Response:
    return _groups_below(req, direct=False)


@ROUTES.get("/groups/:id/projects", anonymous=True)
async def group_projects(req: ApiRequest) -> Response:
    ns = find_group(req)
    state, p = req.state, req.params
    scope = _tree(state, ns) if p.bool("include_subgroups", False) else {ns.id}
    projects = [pr for pr in state.projects.values() if pr.namespace_id in scope]
    if p.bool("with_shared", True):
        shared = [
            pr
            for pr in state.projects.values()
            if pr.namespace_id not in scope and any(s.group_id == ns.id for s in pr.shared_with)
        ]
        projects.extend(shared)
    return render_list(req, projects)
