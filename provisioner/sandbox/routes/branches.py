"""Branches: list, read, create, delete (REFERENCE 2.12)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import find_project, project_access, user_of
from provisioner.sandbox.http import (
    forbidden,
    json_response,
    message,
    no_content,
    not_found,
    origin,
    paginate,
    param_error,
)
from provisioner.sandbox.repo import resolve
from provisioner.sandbox.repo_write import valid_branch_name
from provisioner.sandbox.routes.commits import commit_json, readable_project
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import DEVELOPER, MAINTAINER, Project, State, User
from provisioner.sandbox.world import can_merge, can_push, commit_files, matching_rules, protect_branch

ROUTES = Routes()


def branch_json(state: State, project: Project, name: str, viewer: User | None, base: str) -> dict[str, Any]:
    commit = project.repo.commits[project.repo.branches[name]]
    level = project_access(state, viewer, project)
    rules = matching_rules(project, name)
    return {
        "name": name,
        "merged": False,
        "protected": bool(rules),
        "default": name == project.default_branch,
        "developers_can_push": any(a.access_level == DEVELOPER for r in rules for a in r.push),
        "developers_can_merge": any(a.access_level == DEVELOPER for r in rules for a in r.merge),
        "can_push": can_push(level, project, name),
        "web_url": f"{base}/{state.project_full_path(project)}/-/tree/{name}",
        "commit": commit_json(state, project, commit, base),
    }


@ROUTES.get("/projects/:id/repository/branches", anonymous=True)
async def list_branches(req: ApiRequest) -> Response:
    """BranchesFinder [G:lib/api/branches.rb `filter_params`, app/finders/branches_finder.rb]: `search`
    ignores case, `^x` anchors it at the start and `x$` at the end; `regex` (RE2 there, Python's here);
    `sort` name_asc (the default, also for anything else), updated_asc or updated_desc."""
    project = readable_project(req)
    p = req.params
    names = sorted(project.repo.branches)
    if (needle := p.str("search")) is not None:
        names = [n for n in names if _search(needle, n)]
    if (pattern := p.str("regex")) is not None:
        try:
            names = [n for n in names if re.search(pattern, n)]
        except re.error as exc:
            raise message(f"Regex is invalid: {exc}", 400) from exc  # wording unverified
    if (token := p.str("page_token")) is not None:
        names = [n for n in names if n > token]  # Gitaly's keyset: the branches after that name
    order = p.str("sort")
    if order in ("updated_asc", "updated_desc"):

        def updated(name: str) -> str:
            return project.repo.commits[project.repo.branches[name]].created_at

        names.sort(key=updated, reverse=order == "updated_desc")
    base, viewer = origin(req.http), user_of(req)
    return paginate(req.http, p, names, lambda n: branch_json(req.state, project, n, viewer, base))


def _search(needle: str, name: str) -> bool:
    text, value = needle.lower(), name.lower()
    if text.startswith("^"):
        return value.startswith(text[1:])
    if text.endswith("$"):
        return value.endswith(text[:-1])
    return text in value


@ROUTES.get("/projects/:id/repository/branches/:branch", anonymous=True)
async def get_branch(req: ApiRequest) -> Response:
    project = readable_project(req)
    name = req.path["branch"]
    if name not in project.repo.branches:
        raise not_found("Branch")
    return json_response(branch_json(req.state, project, name, user_of(req), origin(req.http)))


@ROUTES.post("/projects/:id/repository/branches")
async def create_branch(req: ApiRequest) -> Response:
    """Branches::CreateService, every refusal a 400 with its message [G:lib/api/branches.rb,
    app/services/branches/create_service.rb, app/services/branches/validate_new_service.rb]: in an empty
    repository it first commits an empty README.md on the default branch ("Add README.md"), so a branch
    can start from it; then the name is checked, then the ref."""
    project = find_project(req)
    user = user_of(req)
    level = project_access(req.state, user, project)
    if level < DEVELOPER:
        raise forbidden()
    p = req.params
    p.require("branch", "ref")
    name, ref = p.str("branch"), p.str("ref")
    for param, value in (("branch", name), ("ref", ref)):
        if not value.strip():
            raise param_error(f"{param} is empty")  # `allow_blank: false`
    if not project.repo.commits and user is not None:
        default = project.default_branch or "main"
        commit_files(req.state, project, user, default, "Add README.md", {"README.md": ""})
        # The first push of the default branch protects it (ProtectDefaultBranchService), as for a
        # project created with a README (world.new_project).
        protect_branch(req.state, project, default, push=MAINTAINER, merge=MAINTAINER)
    if not valid_branch_name(name):
        raise message("Branch name is invalid", 400)
    if name in project.repo.branches:
        raise message("Branch already exists", 400)
    if matching_rules(project, name) and not (
        can_push(level, project, name) or can_merge(level, project, name)
    ):
        # Gitlab::Checks::BranchCheck, through the pre-receive error (wording unverified).
        raise message("You are not allowed to create protected branches on this project.", 400)
    commit = resolve(project, ref)
    if commit is None:
        raise message(f"Failed to create branch '{name}': invalid reference name '{ref}'", 400)
    project.repo.branches[name] = commit.id
    return json_response(branch_json(req.state, project, name, user, origin(req.http)), 201)


@ROUTES.delete("/projects/:id/repository/branches/:branch")
async def delete_branch(req: ApiRequest) -> Response:
    project = find_project(req)
    level = project_access(req.state, user_of(req), project)
    if level < DEVELOPER:
        raise forbidden()
    name = req.path["branch"]
    if name not in project.repo.branches:
        raise not_found("Branch")
    # Branches::DeleteService's refusals (wording from memory, guessed).
    if name == project.default_branch:
        raise message("Cannot remove HEAD branch", 405)
    if matching_rules(project, name) and level < MAINTAINER:
        raise message("You don't have permission to delete the branch", 405)
    del project.repo.branches[name]
    return no_content()
