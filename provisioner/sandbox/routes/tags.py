"""Repository tags: list, read, create [G:lib/api/tags.rb, app/services/tags/create_service.rb]."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import project_access, user_of
from provisioner.sandbox.http import forbidden, json_response, message, not_found, origin, paginate
from provisioner.sandbox.repo import resolve
from provisioner.sandbox.repo_write import valid_branch_name
from provisioner.sandbox.routes.commits import commit_json, readable_project
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import DEVELOPER, NO_ONE, Project, State

ROUTES = Routes()
TAGS = "/projects/:id/repository/tags"


def _protected_by(project: Project, name: str) -> list[int]:
    """The create levels of the protected tag rules that cover `name` (`*` wildcards)."""
    levels = []
    for rule in project.protected_tags:
        if re.fullmatch(".*".join(re.escape(part) for part in rule.name.split("*")), name):
            levels += [a.access_level for a in rule.create]
    return levels


def tag_json(state: State, project: Project, name: str, base: str) -> dict[str, Any]:
    """API::Entities::Tag [G:lib/api/entities/tag.rb]: a lightweight tag's message is empty here (the
    tool creates annotated ones; their message is kept)."""
    commit_id = project.repo.tags[name]
    return {
        "name": name,
        "message": project.repo.tag_messages.get(name, ""),
        "target": commit_id,
        "commit": commit_json(state, project, project.repo.commits[commit_id], base),
        "release": None,
        "protected": bool(_protected_by(project, name)),
    }


@ROUTES.get(TAGS, anonymous=True)
async def list_tags(req: ApiRequest) -> Response:
    """TagsFinder: `search` (a substring, `^x` and `x$` anchored), `order_by` name, updated (the
    default) or version, `sort` desc (the default) or asc [G:lib/api/tags.rb]."""
    project = readable_project(req)
    p = req.params
    order = p.enum("order_by", ("name", "updated", "version"), "updated")
    descending = p.enum("sort", ("asc", "desc"), "desc") == "desc"
    names = list(project.repo.tags)
    if (needle := p.str("search")) is not None:
        names = [n for n in names if _matches(needle, n)]
    if order == "updated":
        created = {n: project.repo.commits[project.repo.tags[n]].created_at for n in names}
        names.sort(key=lambda n: (created[n], n), reverse=descending)
    elif order == "version":
        names.sort(key=_version_key, reverse=descending)
    else:
        names.sort(reverse=descending)
    base = origin(req.http)
    return paginate(req.http, p, names, lambda n: tag_json(req.state, project, n, base))


def _matches(needle: str, name: str) -> bool:
    if needle.startswith("^"):
        return name.startswith(needle[1:])
    if needle.endswith("$"):
        return name.endswith(needle[:-1])
    return needle in name


def _version_key(name: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.-]", name.lstrip("v")))


@ROUTES.get(f"{TAGS}/:tag_name", anonymous=True)
async def get_tag(req: ApiRequest) -> Response:
    project = readable_project(req)
    name = req.path["tag_name"]
    if name not in project.repo.tags:
        raise not_found("Tag")
    return json_response(tag_json(req.state, project, name, origin(req.http)))


@ROUTES.post(TAGS)
async def create_tag(req: ApiRequest) -> Response:
    """`authorize_admin_tag` (Developer), a protected tag's create level, then Tags::CreateService:
    every refusal is a 400 with its message (the service's 409 for an existing tag is not passed on)."""
    project = readable_project(req)
    level = project_access(req.state, user_of(req), project)
    if level < DEVELOPER:
        raise forbidden()
    p = req.params
    p.require("tag_name", "ref")
    name, ref = p.str("tag_name"), p.str("ref")
    if not ref.strip():
        raise message("Target is empty", 400)
    if not valid_branch_name(name):  # Gitlab::GitRefValidator: the same rules for tags and branches
        raise message("Tag name invalid", 400)
    protected = _protected_by(project, name)
    if protected and not any(a != NO_ONE and level >= a for a in protected):
        # The pre-receive check's refusal (wording unverified).
        raise message("You are not allowed to create this tag as it is protected.", 400)
    if name in project.repo.tags:
        raise message(f"Tag {name} already exists", 400)
    commit = resolve(project, ref)
    if commit is None:
        raise message(f"Target {ref} is invalid", 400)
    project.repo.tags[name] = commit.id
    if text := (p.str("message") or "").strip():
        project.repo.tag_messages[name] = text
    return json_response(tag_json(req.state, project, name, origin(req.http)), 201)
