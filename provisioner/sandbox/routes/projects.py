"""Projects: list, read, create, update, delete (REFERENCE 2.1, 1.2, 1.6); sharing is in shares.py."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import (
    find_group,
    find_project,
    namespace_access,
    require_project,
    require_user,
    user_of,
)
from provisioner.sandbox.http import (
    json_response,
    message,
    not_found,
    origin,
    validation,
)
from provisioner.sandbox.project_attrs import POLICY_DEFAULT, read_policy, read_settings, update_param_names
from provisioner.sandbox.project_view import project_json
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import (
    DEVELOPER,
    MAINTAINER,
    OWNER,
    Namespace,
    State,
    User,
)
from provisioner.sandbox.world import add_member, new_project, slug, touch

ROUTES = Routes()
VISIBILITIES = ("private", "internal", "public")
ORDER_BY = ("id", "name", "path", "created_at", "updated_at", "last_activity_at", "similarity", "star_count")


@ROUTES.get("/projects/:id", anonymous=True)
async def get_project(req: ApiRequest) -> Response:
    project = find_project(req)
    return json_response(project_json(req.state, project, origin(req.http), user_of(req)))


@ROUTES.post("/projects")
async def create_project(req: ApiRequest) -> Response:
    user = require_user(req)
    p, state = req.params, req.state
    p.at_least_one_of(["name", "path"])
    namespace = _target_namespace(req, user)
    name = p.str("name") or p.str("path")
    path = p.str("path") or slug(name)
    visibility = p.enum("visibility", VISIBILITIES, "private")
    settings = read_settings(p, creating=True, version=state.version, by_admin=user.is_admin)
    policy = read_policy(p, _policy_default())
    _check_unique(state, namespace, name, path)
    _check_visibility(namespace, visibility)
    readme = bool(p.bool("initialize_with_readme", False))
    project = new_project(
        state,
        user,
        namespace,
        name,
        path,
        settings=settings,
        visibility=visibility,
        description=p.str("description"),
        topics=p.list("topics") or p.list("tag_list") or [],
        initialize_with_readme=readme,
        # default_branch is only honoured together with initialize_with_readme (REFERENCE 2.1).
        default_branch=p.str("default_branch") or "main",
    )
    if policy is not None:
        project.container_policy = policy
    # Guessed: in a group, a creator below Maintainer becomes a Maintainer of the new project.
    if (
        namespace.kind == "group"
        and not user.is_admin
        and namespace_access(state, user, namespace.id) < MAINTAINER
    ):
        add_member(project, user, MAINTAINER)
    return json_response(project_json(state, project, origin(req.http), user), 201)


def _policy_default() -> dict[str, Any]:
    return dict(POLICY_DEFAULT)


def _target_namespace(req: ApiRequest, user: User) -> Namespace:
    raw = req.params.raw("namespace_id", req.params.raw("namespace"))
    if raw is None:
        return req.state.namespaces[user.namespace_id]
    ident = str(raw)
    ns_id = int(ident) if ident.isdigit() else req.state.namespace_paths.get(ident.lower())
    ns = req.state.namespaces.get(ns_id) if ns_id is not None else None
    if ns is None:
        raise not_found("Namespace")
    if ns.kind == "group":
        find_group(req, str(ns.id))  # 404 when the group is invisible
    # Guessed: Developers may create projects in a group (the self-managed default creation level).
    if namespace_access(req.state, user, ns.id) < DEVELOPER:
        raise validation({"namespace": ["is not valid"]})
    return ns


def _check_unique(
    state: State, namespace: Namespace, name: str, path: str, ignore: int | None = None
) -> None:
    siblings = [pr for pr in state.projects.values() if pr.namespace_id == namespace.id and pr.id != ignore]
    errors: dict[str, list[str]] = {}
    if any(pr.name.lower() == name.lower() for pr in siblings):
        errors["name"] = ["has already been taken"]
    if any(pr.path.lower() == path.lower() for pr in siblings) or (
        f"{path}".lower()
        in {ns.path.lower() for ns in state.namespaces.values() if ns.parent_id == namespace.id}
    ):
        errors["path"] = ["has already been taken"]
    if "name" in errors:
        errors["project_namespace.name"] = ["has already been taken"]
    if errors:
        raise validation(errors)


def _check_visibility(namespace: Namespace, visibility: str) -> None:
    if namespace.kind == "group" and VISIBILITIES.index(visibility) > VISIBILITIES.index(
        namespace.visibility
    ):
        # Guessed wording of the visibility_level validation.
        raise validation(
            {"visibility_level": [f"{visibility} is not allowed in a {namespace.visibility} group."]}
        )


@ROUTES.put("/projects/:id")
async def update_project(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    p, state = req.params, req.state
    p.at_least_one_of(update_param_names(state.version))
    settings = read_settings(p, creating=False, version=state.version, by_admin=require_user(req).is_admin)
    policy = read_policy(p, project.container_policy)
    namespace = state.namespaces[project.namespace_id]
    name, path = p.str("name", project.name), p.str("path", project.path)
    visibility = p.enum("visibility", VISIBILITIES, project.visibility)
    if (name, path) != (project.name, project.path):
        _check_unique(state, namespace, name, path, ignore=project.id)
    _check_visibility(namespace, visibility)
    if (branch := p.str("default_branch")) is not None and branch not in project.repo.branches:
        if project.repo.branches:
            # Guessed wording: GitLab refuses a default branch that does not exist.
            raise message(f"Could not change HEAD: branch '{branch}' does not exist", 400)
        branch = None
    if path != project.path:
        old = state.project_full_path(project).lower()
        state.paths.pop(old, None)
        state.redirects[old] = project.id
        project.path = path
        state.paths[state.project_full_path(project).lower()] = project.id
    project.name, project.visibility = name, visibility
    if "description" in p:
        project.description = p.str("description")
    if "topics" in p or "tag_list" in p:
        project.topics = p.list("topics") if "topics" in p else p.list("tag_list")
    if branch:
        project.default_branch = branch
    project.settings.update(settings)
    if policy is not None:
        project.container_policy = policy
    touch(project)
    return json_response(project_json(state, project, origin(req.http), user_of(req)))


@ROUTES.delete("/projects/:id")
async def delete_project(req: ApiRequest) -> Response:
    project = require_project(req, OWNER)
    state = req.state
    # Simplification: GitLab marks the project for (delayed) deletion; here it is gone at once.
    state.remove_project(project)
    for runner in state.runners.values():
        if project.id in runner.project_ids:
            runner.project_ids.remove(project.id)
    return json_response({"message": "202 Accepted"}, 202)
