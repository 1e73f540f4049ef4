"""`GET /projects` and `GET /groups/:id/projects`: filters, order and pagination (REFERENCE 2.1, 2.2)
[G:lib/api/projects.rb, lib/api/helpers/projects_helpers.rb, lib/api/groups.rb `:id/projects`].

Each declared filter is applied or refused (filters.py). A filter only one of the two routes declares
is ignored by the other, as Grape ignores undeclared parameters.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import can_read_project, project_access, user_of
from provisioner.sandbox.filters import access_level, between, refuse, search
from provisioner.sandbox.http import ApiError, keyset, origin, paginate
from provisioner.sandbox.project_view import project_basic, project_json
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import Project, State, User

ROUTES = Routes()
VISIBILITIES = ("private", "internal", "public")
ORDER_BY = ("id", "name", "path", "created_at", "updated_at", "last_activity_at", "similarity", "star_count")
# Filters of GET /projects that the sandbox does not model (statistics, languages, storage, checksums).
UNMODELLED = (
    "statistics",
    "with_programming_language",
    "topic_id",
    "repository_checksum_failed",
    "wiki_checksum_failed",
    "repository_storage",
    "marked_for_deletion_on",
    "with_security_reports",
)


def render_list(req: ApiRequest, projects: list[Project]) -> Response:
    """Filters, order and pagination shared by /projects and /groups/:id/projects."""
    p, state, viewer = req.params, req.state, user_of(req)
    base = origin(req.http)
    in_group = req.route.template.startswith("/api/v4/groups")
    projects = _filtered(req, projects, in_group=in_group)
    order_by = p.enum("order_by", ORDER_BY, "created_at")
    descending = p.enum("sort", ("asc", "desc"), "desc") == "desc"
    if order_by in ("name", "path", "similarity"):
        column = "path" if order_by == "path" else "name"
        projects.sort(key=lambda pr: (getattr(pr, column).lower(), pr.id), reverse=descending)
    elif order_by in ("updated_at", "last_activity_at"):
        projects.sort(key=lambda pr: (pr.updated_at, pr.id), reverse=descending)
    else:  # ids grow with creation time; nobody stars a project in the sandbox
        projects.sort(key=lambda pr: pr.id, reverse=descending)
    custom = bool(viewer and viewer.is_admin and p.bool("with_custom_attributes", False))

    def render(project: Project) -> dict[str, Any]:
        if p.bool("simple", False):
            data = project_basic(state, project, base)
        else:
            data = project_json(state, project, base, viewer)
        if custom:
            data["custom_attributes"] = []
        return data

    if p.str("pagination") == "keyset":
        if order_by != "id" or in_group:
            raise ApiError(405, {"error": "Keyset pagination is not yet available for this type of request"})
        return keyset(req.http, p, projects, render, key=lambda pr: pr.id, descending=descending)
    return paginate(req.http, p, projects, render, keyset_type="Project")


def _filtered(req: ApiRequest, projects: list[Project], *, in_group: bool) -> list[Project]:
    p, state, viewer = req.params, req.state, user_of(req)
    refuse(p, *UNMODELLED)
    if not (viewer and viewer.is_admin):
        projects = [pr for pr in projects if can_read_project(state, viewer, pr)]
    if p.bool("starred", False):
        projects = []  # nobody stars a project in the sandbox
    if viewer and p.bool("owned", False):
        projects = [pr for pr in projects if _owns(state, viewer, pr)]
    if (level := access_level(p)) is not None:
        projects = [pr for pr in projects if project_access(state, viewer, pr) >= level]
    if (archived := p.bool("archived")) is not None:
        projects = [pr for pr in projects if pr.archived == archived]
    if (visibility := p.enum("visibility", VISIBILITIES)) is not None:
        projects = [pr for pr in projects if pr.visibility == visibility]
    for flag, feature in (
        ("with_issues_enabled", "issues"),
        ("with_merge_requests_enabled", "merge_requests"),
    ):
        if p.bool(flag, False):
            projects = [pr for pr in projects if pr.settings[f"{feature}_access_level"] != "disabled"]
    full = not in_group and bool(p.bool("search_namespaces", False))
    if (needle := p.str("search")) is not None:
        projects = [
            pr
            for pr in projects
            if search(needle, (pr.name, pr.path, *((state.project_full_path(pr),) if full else ())))
        ]
    return projects if in_group else _only_projects_filters(req, projects)


def _only_projects_filters(req: ApiRequest, projects: list[Project]) -> list[Project]:
    """What GET /projects declares and GET /groups/:id/projects does not."""
    p, state, viewer = req.params, req.state, user_of(req)
    if viewer and p.bool("membership", False):
        projects = [pr for pr in projects if _is_member(state, viewer, pr)]
    if (topic := p.str("topic")) is not None:
        wanted = {t.strip() for t in topic.split(",") if t.strip()}
        projects = [pr for pr in projects if wanted <= set(pr.topics)]
    if p.bool("imported", False):
        projects = []  # nothing in the sandbox was imported
    if (active := p.bool("active")) is not None:
        projects = [pr for pr in projects if (not pr.archived) == active]
    if (after := p.int("id_after")) is not None:
        projects = [pr for pr in projects if pr.id > after]
    if (before := p.int("id_before")) is not None:
        projects = [pr for pr in projects if pr.id < before]
    projects = between(p, projects, lambda pr: pr.updated_at, "last_activity_after", "last_activity_before")
    return between(p, projects, lambda pr: pr.updated_at, "updated_after", "updated_before")


def _owns(state: State, user: User, project: Project) -> bool:
    ns = state.namespaces[project.namespace_id]
    return (ns.kind == "user" and ns.owner_id == user.id) or project.creator_id == user.id


def _is_member(state: State, user: User, project: Project) -> bool:
    if user.id in project.members:
        return True
    return any(
        user.id in ns.members or ns.owner_id == user.id for ns in state.ancestors(project.namespace_id)
    )


@ROUTES.get("/projects", anonymous=True)
async def list_projects(req: ApiRequest) -> Response:
    return render_list(req, list(req.state.projects.values()))
