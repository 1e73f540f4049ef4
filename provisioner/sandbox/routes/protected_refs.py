"""Protected branches and protected tags (REFERENCE 2.12; tags follow the same API conventions)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import require_project
from provisioner.sandbox.http import (
    Params,
    json_response,
    message,
    no_content,
    not_found,
    paginate,
    param_error,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, AccessLevel, Project, ProtectedBranch, ProtectedTag, State
from provisioner.sandbox.versions import has
from provisioner.sandbox.views import access_level_json
from provisioner.sandbox.world import protect_branch

ROUTES = Routes()
LEVELS = (0, 30, 40, 60)
BRANCHES = "/projects/:id/protected_branches"
TAGS = "/projects/:id/protected_tags"


def protected_branch_json(rule: ProtectedBranch, state: State) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "push_access_levels": [access_level_json(a.id, a.access_level) for a in rule.push],
        "merge_access_levels": [access_level_json(a.id, a.access_level) for a in rule.merge],
        "allow_force_push": rule.allow_force_push,
    }
    # The Enterprise Edition's entity adds these [G:ee/lib/ee/api/entities/protected_branch.rb, unverified].
    if has(state, "rest:ProtectedBranch.unprotect_access_levels"):
        data["unprotect_access_levels"] = [access_level_json(a.id, a.access_level) for a in rule.unprotect]
    if has(state, "rest:ProtectedBranch.code_owner_approval_required"):
        data["code_owner_approval_required"] = rule.code_owner_approval_required
    return data


def _premium(req: ApiRequest) -> bool:
    """`unprotect_access_level`, `allowed_to_*` and `code_owner_approval_required` are declared by the
    Enterprise Edition only; the Community Edition's Grape drops them [G:ee/lib/ee/api/helpers/
    protected_branches_helpers.rb]."""
    return has(req.state, "rest:ProtectedBranch.allowed_to_push")


def _level(p: Params, name: str) -> int:
    level = p.int(name, MAINTAINER)
    if level not in LEVELS:
        raise param_error(f"{name} does not have a valid value")
    return int(level)


def _rule(project: Project, name: str) -> ProtectedBranch:
    rule = next((r for r in project.protected_branches if r.name == name), None)
    if rule is None:
        raise not_found()  # find_by! answers a plain 404
    return rule


@ROUTES.get(BRANCHES)
async def list_protected_branches(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    rules = project.protected_branches
    if (search := req.params.str("search")) is not None:
        # ProtectedBranchesFinder: a substring of the name [G:lib/api/protected_branches.rb `search`].
        rules = [r for r in rules if search.lower() in r.name.lower()]
    return paginate(req.http, req.params, rules, lambda r: protected_branch_json(r, req.state))


@ROUTES.get(f"{BRANCHES}/:name")
async def get_protected_branch(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    return json_response(protected_branch_json(_rule(project, req.path["name"]), req.state))


@ROUTES.post(BRANCHES)
async def protect(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    p = req.params
    p.require("name")
    name = p.str("name")
    if any(r.name == name for r in project.protected_branches):
        raise message(f"Protected branch '{name}' already exists", 409)
    rule = protect_branch(
        req.state,
        project,
        name,
        push=_level(p, "push_access_level"),
        merge=_level(p, "merge_access_level"),
        unprotect=_level(p, "unprotect_access_level") if _premium(req) else MAINTAINER,
        allow_force_push=bool(p.bool("allow_force_push", False)),
    )
    if _premium(req):
        rule.code_owner_approval_required = bool(p.bool("code_owner_approval_required", False))
        for kind in ("push", "merge", "unprotect"):
            extra = p.raw(f"allowed_to_{kind}")
            if isinstance(extra, list):
                getattr(rule, kind).extend(_new_levels(req.state, extra))
    return json_response(protected_branch_json(rule, req.state), 201)


def _new_levels(state: State, entries: list[Any]) -> list[AccessLevel]:
    levels = []
    for entry in entries:
        if isinstance(entry, dict) and "access_level" in entry and not entry.get("_destroy"):
            level = Params(entry).int("access_level")
            if level not in LEVELS:
                raise param_error("access_level does not have a valid value")
            levels.append(AccessLevel(state.next_id("access_level"), level))
    return levels


@ROUTES.patch(f"{BRANCHES}/:name")
async def update_protected_branch(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    rule = _rule(project, req.path["name"])
    p = req.params
    rule.allow_force_push = p.bool("allow_force_push", rule.allow_force_push)
    if not _premium(req):
        return json_response(protected_branch_json(rule, req.state))
    rule.code_owner_approval_required = p.bool(
        "code_owner_approval_required", rule.code_owner_approval_required
    )
    # Levels change only through allowed_to_*: {"id": n, "_destroy": true} and {"access_level": n}.
    for kind in ("push", "merge", "unprotect"):
        entries = p.raw(f"allowed_to_{kind}")
        if not isinstance(entries, list):
            continue
        doomed = {
            Params(e).int("id") for e in entries if isinstance(e, dict) and e.get("_destroy") and "id" in e
        }
        kept = [a for a in getattr(rule, kind) if a.id not in doomed]
        setattr(rule, kind, kept + _new_levels(req.state, entries))
    return json_response(protected_branch_json(rule, req.state))


@ROUTES.delete(f"{BRANCHES}/:name")
async def unprotect(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    project.protected_branches.remove(_rule(project, req.path["name"]))
    return no_content()


# -- protected tags ---------------------------------------------------------------------------------
def protected_tag_json(rule: ProtectedTag) -> dict[str, Any]:
    return {
        "name": rule.name,
        "create_access_levels": [access_level_json(a.id, a.access_level) for a in rule.create],
    }


def _tag(project: Project, name: str) -> ProtectedTag:
    rule = next((r for r in project.protected_tags if r.name == name), None)
    if rule is None:
        raise not_found()
    return rule


@ROUTES.get(TAGS)
async def list_protected_tags(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    return paginate(req.http, req.params, project.protected_tags, protected_tag_json)


@ROUTES.get(f"{TAGS}/:name")
async def get_protected_tag(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    return json_response(protected_tag_json(_tag(project, req.path["name"])))


@ROUTES.post(TAGS)
async def protect_tag(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    p = req.params
    p.require("name")
    name = p.str("name")
    if any(r.name == name for r in project.protected_tags):
        # Guessed: the model's uniqueness validation, rendered as full messages.
        raise message(["Name has already been taken"], 422)
    rule = ProtectedTag(
        id=req.state.next_id("protected_tag"),
        name=name,
        create=[AccessLevel(req.state.next_id("access_level"), _level(p, "create_access_level"))],
    )
    extra = p.raw("allowed_to_create")
    if isinstance(extra, list):
        rule.create.extend(_new_levels(req.state, extra))
    project.protected_tags.append(rule)
    return json_response(protected_tag_json(rule), 201)


@ROUTES.delete(f"{TAGS}/:name")
async def unprotect_tag(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    project.protected_tags.remove(_tag(project, req.path["name"]))
    return no_content()
