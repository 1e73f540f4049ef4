"""Merge request approval settings and project-level approval rules (Premium).

The Community Edition has none of these routes: GitLab CE answers 404 as for any unknown route, which
the version table gives (`rest:* /projects/:id/approval_rules`, `/approvals`, edition ee)
[G:doc/api/merge_request_approvals.md].
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import find_user, namespace_access, project_access, require_project, user_of
from provisioner.sandbox.http import (
    Params,
    json_response,
    no_content,
    not_found,
    origin,
    paginate,
    validation,
)
from provisioner.sandbox.routes.protected_refs import protected_branch_json
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import DEVELOPER, MAINTAINER, ApprovalRule, Project, State
from provisioner.sandbox.versions import has
from provisioner.sandbox.views import group_json, user_basic

ROUTES = Routes()
RULES = "/projects/:id/approval_rules"
APPROVALS_REQUIRED_MAX = (
    100  # ApprovalRuleLike::APPROVALS_REQUIRED_MAX [G:ee/app/models/concerns/approval_rule_like.rb]
)
REAUTH = "rest:ProjectApprovals.require_reauthentication_to_approve"
# Column defaults: approvals reset on push; authors, committers and overrides not restricted
# [G:ee/lib/api/entities/approval_settings.rb exposes each as a predicate: always a boolean].
SETTINGS_DEFAULTS = {
    "reset_approvals_on_push": True,
    "selective_code_owner_removals": False,
    "disable_overriding_approvers_per_merge_request": False,
    "merge_requests_author_approval": False,
    "merge_requests_disable_committers_approval": False,
    "require_password_to_approve": False,
}
SETTINGS = (*SETTINGS_DEFAULTS, "require_reauthentication_to_approve")


# -- approval settings: GET/POST /projects/:id/approvals [G:ee/lib/api/project_approvals.rb] -------------
def settings_json(project: Project, state: State) -> dict[str, Any]:
    stored = {**SETTINGS_DEFAULTS, **project.approval_settings}
    data: dict[str, Any] = {"approvers": [], "approver_groups": [], "approvals_before_merge": 0, **stored}
    data.pop("require_reauthentication_to_approve", None)
    if has(state, REAUTH):
        # Since 17.1 the two names are one setting; the new one wins when both are given.
        data["require_reauthentication_to_approve"] = stored["require_password_to_approve"]
    return data


@ROUTES.get("/projects/:id/approvals")
async def get_settings(req: ApiRequest) -> Response:
    project = require_project(req, DEVELOPER)  # authorize! :read_approvers (Developers read them)
    return json_response(settings_json(project, req.state))


@ROUTES.post("/projects/:id/approvals")
async def change_settings(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)  # authorize! :update_approvers
    p = req.params
    # Before 17.1 Grape does not declare require_reauthentication_to_approve: it is dropped.
    known = [
        name for name in SETTINGS if name != "require_reauthentication_to_approve" or has(req.state, REAUTH)
    ]
    p.at_least_one_of(["approvals_before_merge", *known])
    changed = {name: p.bool(name) for name in known if name in p}
    if "require_reauthentication_to_approve" in changed:
        changed["require_password_to_approve"] = changed.pop("require_reauthentication_to_approve")
    resetting = changed.get(
        "reset_approvals_on_push", project.approval_settings.get("reset_approvals_on_push")
    )
    if changed.get("selective_code_owner_removals") and resetting is not False:
        # MergeRequest::ApprovalRemovalSettings: the two cannot both be on (wording unverified).
        raise validation(
            {
                "base": [
                    "selective_code_owner_removals can only be enabled when reset_approvals_on_push is disabled"
                ]
            }
        )
    project.approval_settings.update(changed)
    return json_response(settings_json(project, req.state), 201)


# -- rules [G:ee/lib/api/project_approval_rules.rb, ee/lib/api/helpers/project_approval_rules_helpers.rb] ---
def rule_json(rule: ApprovalRule, project: Project, state: State, base: str) -> dict[str, Any]:
    users = [state.users[i] for i in rule.user_ids if i in state.users]
    groups = [state.namespaces[i] for i in rule.group_ids if i in state.namespaces]
    eligible = {u.id: u for u in users}
    for group in groups:
        for user_id in group.members:
            eligible.setdefault(user_id, state.users[user_id])
    if rule.applies_to_all_protected_branches:
        branches = list(project.protected_branches)
    else:
        branches = [b for b in project.protected_branches if b.id in rule.protected_branch_ids]
    return {
        "id": rule.id,
        "name": rule.name,
        "rule_type": rule.rule_type,
        "report_type": None,
        "eligible_approvers": [user_basic(u, base) for u in eligible.values()],
        "approvals_required": rule.approvals_required,
        "users": [user_basic(u, base) for u in users],
        "groups": [group_json(state, g, base) for g in groups],
        "contains_hidden_groups": False,
        "applies_to_all_protected_branches": rule.applies_to_all_protected_branches,
        "protected_branches": [protected_branch_json(b, state) for b in branches],
    }


def _rule(project: Project, rule_id: str) -> ApprovalRule:
    found = next((r for r in project.approval_rules if str(r.id) == rule_id), None)
    if found is None:
        raise not_found()  # ActiveRecord::RecordNotFound: "404 Not found" (wording unverified)
    return found


def _member(state: State, user_id: int, project: Project) -> bool:
    """`project.members_among(users)`: members of the project or of its groups, the admin role aside."""
    user = state.users.get(user_id)
    if user is None:
        return False
    plain = type(user)(**{**vars(user), "is_admin": False})
    return project_access(state, plain, project) > 0


def _assign(req: ApiRequest, rule: ApprovalRule, project: Project, p: Params) -> None:
    """What the create and update services take. Users who are not members and groups the caller cannot
    see are left out without a word, as ApprovalRules::ParamsFilteringService does
    [G:ee/app/services/approval_rules/params_filtering_service.rb] (for project rules: unverified)."""
    state = req.state
    if "name" in p:
        rule.name = p.str("name", "")
    if "approvals_required" in p:
        rule.approvals_required = p.int("approvals_required")
    if "user_ids" in p or "usernames" in p:
        ids = [int(i) for i in p.list("user_ids", []) if str(i).isdigit()]
        for username in p.list("usernames", []):
            user = find_user(state, username)
            if user is not None:
                ids.append(user.id)
        rule.user_ids = sorted({i for i in ids if _member(state, i, project)})
    if "group_ids" in p:
        caller = user_of(req)
        visible = []
        for raw in p.list("group_ids", []):
            ns = state.namespaces.get(int(raw)) if str(raw).isdigit() else None
            if (
                ns is not None
                and ns.kind == "group"
                and (ns.visibility != "private" or _sees(state, caller, ns.id))
            ):
                visible.append(ns.id)
        rule.group_ids = sorted(set(visible))
    if "protected_branch_ids" in p:
        known = {b.id for b in project.protected_branches}
        wanted = {int(i) for i in p.list("protected_branch_ids", []) if str(i).isdigit()}
        if wanted - known:
            raise not_found()  # the service looks each id up among the project's protected branches (unverified)
        rule.protected_branch_ids = sorted(wanted)
    # `applies_to_all_protected_branches` defaults to false on update too: a PUT without it turns it off.
    rule.applies_to_all_protected_branches = p.bool("applies_to_all_protected_branches", False)


def _sees(state: State, user: Any, namespace_id: int) -> bool:
    return user is not None and (user.is_admin or namespace_access(state, user, namespace_id) > 0)


def _validate(rule: ApprovalRule, others: list[ApprovalRule]) -> None:
    """ApprovalRuleLike and ApprovalProjectRule validations; errors are `rule.errors.messages` under
    `message`, status 400 [G:ee/app/services/approval_rules/base_service.rb]."""
    errors: dict[str, list[str]] = {}
    if not rule.name:
        errors["name"] = ["can't be blank"]
    elif any(o.name == rule.name and o.rule_type == rule.rule_type for o in others):
        errors["name"] = ["has already been taken"]
    if not 0 <= rule.approvals_required <= APPROVALS_REQUIRED_MAX:
        bound = "greater than or equal to 0" if rule.approvals_required < 0 else "less than or equal to 100"
        errors["approvals_required"] = [f"must be {bound}"]
    if errors:
        raise validation(errors)


@ROUTES.get(RULES)
async def list_rules(req: ApiRequest) -> Response:
    project = require_project(req, DEVELOPER)  # authorize_read_project_approval_rule!
    base = origin(req.http)
    return paginate(
        req.http, req.params, project.approval_rules, lambda r: rule_json(r, project, req.state, base)
    )


@ROUTES.get(f"{RULES}/:approval_rule_id")
async def get_rule(req: ApiRequest) -> Response:
    project = require_project(req, DEVELOPER)
    rule = _rule(project, req.path["approval_rule_id"])
    return json_response(rule_json(rule, project, req.state, origin(req.http)))


@ROUTES.post(RULES)
async def create_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)  # manage_merge_request_settings
    p = req.params
    p.require("name", "approvals_required")
    rule_type = p.enum("rule_type", ("regular", "any_approver", "report_approver"), "regular")
    rule = ApprovalRule(
        id=req.state.next_id("approval_rule"), name="", approvals_required=0, rule_type=rule_type
    )
    _assign(req, rule, project, p)
    _validate(rule, project.approval_rules)
    project.approval_rules.append(rule)
    return json_response(rule_json(rule, project, req.state, origin(req.http)), 201)


@ROUTES.put(f"{RULES}/:approval_rule_id")
async def update_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    rule = _rule(project, req.path["approval_rule_id"])
    updated = ApprovalRule(**vars(rule))
    _assign(req, updated, project, req.params)
    _validate(updated, [r for r in project.approval_rules if r is not rule])
    vars(rule).update(vars(updated))
    return json_response(rule_json(rule, project, req.state, origin(req.http)))


@ROUTES.delete(f"{RULES}/:approval_rule_id")
async def delete_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    rule = _rule(project, req.path["approval_rule_id"])
    project.approval_rules.remove(rule)
    return no_content()
