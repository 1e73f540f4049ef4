"""A project's push rule: one per project, Premium [G:ee/lib/api/project_push_rule.rb,
doc/api/project_push_rules.md]. The Community Edition has no such route (404, from the version table).

Regexes are RE2 [G:ee/app/models/concerns/push_ruleable.rb, app/validators/untrusted_regexp_validator.rb]:
the sandbox refuses what Python's `re` cannot compile and the constructs RE2 lacks (lookaround,
backreferences), which is most of what RE2 refuses; the exact RE2 grammar is not reproduced.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import require_project
from provisioner.sandbox.http import json_response, message, no_content, not_found, validation
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, Project, PushRule, now_iso

ROUTES = Routes()
RULE = "/projects/:id/push_rule"
SHORT_REGEXES = ("commit_message_regex", "author_email_regex", "file_name_regex", "branch_name_regex")
LONG_REGEXES = ("commit_message_negative_regex",)  # 2047 characters; the others 511
FLAGS = ("deny_delete_tag", "member_check", "prevent_secrets")
GLOBAL_DEFAULTED = ("commit_committer_check", "reject_unsigned_commits")
PARAMS = (*SHORT_REGEXES, *LONG_REGEXES, *FLAGS, "max_file_size", *GLOBAL_DEFAULTED)
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|\\k<|\(\?>|\(\?\(")


def push_rule_json(project: Project) -> dict[str, Any] | None:
    rule = project.push_rule
    if rule is None:
        return None
    data: dict[str, Any] = {"id": rule.id, "project_id": project.id, "created_at": rule.created_at}
    for name in PARAMS:
        data[name] = getattr(rule, name)
    return data


def _apply(rule: PushRule, req: ApiRequest) -> None:
    p = req.params
    p.at_least_one_of(PARAMS)
    errors: dict[str, list[str]] = {}
    for name in (*SHORT_REGEXES, *LONG_REGEXES):
        if name not in p:
            continue
        value = p.str(name)
        limit = 2047 if name in LONG_REGEXES else 511
        if value and len(value) > limit:
            errors[name] = [f"is too long (maximum is {limit} characters)"]
        elif value and (problem := _re2_problem(value)):
            errors[name] = [f"not valid RE2 syntax: {problem}"]
        setattr(rule, name, value)
    for name in FLAGS:
        setattr(rule, name, p.bool(name, getattr(rule, name)))
    if "max_file_size" in p:
        size = p.int("max_file_size")
        if size is not None and size < 0:
            errors["max_file_size"] = ["must be greater than or equal to 0"]
        rule.max_file_size = size or 0
    for name in GLOBAL_DEFAULTED:
        if name in p:
            # No global push rule enables it, so false is stored as nil and reads back null
            # [G:ee/app/models/push_rule.rb write_setting_with_global_default].
            setattr(rule, name, True if p.bool(name) else None)
    if errors:
        raise validation(errors)  # render_validation_error!: 400 {"message": {field: [...]}}


def _re2_problem(pattern: str) -> str | None:
    if _NOT_RE2.search(pattern):
        return "invalid perl operator"
    try:
        re.compile(pattern.replace(r"\z", "$"))
    except re.error as exc:
        return str(exc)
    return None


@ROUTES.get(RULE)
async def get_push_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)  # authorize! :admin_push_rules
    # Never configured: 200 with the body `null` (unlike the group route's 404) [G:doc/api/project_push_rules.md].
    return json_response(push_rule_json(project)) if project.push_rule else _null()


def _null() -> Response:
    return Response(b"null", 200, media_type="application/json")


@ROUTES.post(RULE)
async def add_push_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    if project.push_rule is not None:
        raise message("Project push rule exists", 422)  # unprocessable_entity!
    rule = PushRule(id=req.state.next_id("push_rule"), created_at=now_iso())
    _apply(rule, req)
    project.push_rule = rule
    return json_response(push_rule_json(project), 201)


@ROUTES.put(RULE)
async def edit_push_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    if project.push_rule is None:
        raise not_found("Push rule")
    updated = PushRule(**vars(project.push_rule))
    _apply(updated, req)
    project.push_rule = updated
    return json_response(push_rule_json(project))


@ROUTES.delete(RULE)
async def delete_push_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    if project.push_rule is None:
        raise not_found("Push rule")
    project.push_rule = None
    return no_content()
