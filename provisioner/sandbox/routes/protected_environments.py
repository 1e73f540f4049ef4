"""Protected environments of projects and groups (GitLab Premium) [G:ee/lib/api/protected_environments.rb].

The Enterprise Edition's routes only: on the Community Edition (and before the versions in
provisioner.gitlab_versions) they are not there, and GitLab answers 404 as for any unknown route.
- Who may call them: `authorize! :admin_protected_environments`, which a project's Maintainers have
  [G:app/policies/project_policy.rb] and a group's Owners [G:app/policies/group_policy.rb].
- Entries name a role (`access_level`), a user or a group. Users and groups GitLab does not accept are
  dropped without a word: for a project, users who are not members with at least the Developer role
  and groups the project is not shared with; for a group, users who are not its Maintainers or Owners
  (through parents too) and groups that are neither the group, below it, nor a group it is shared with
  [G:ee/app/services/protected_environments/base_service.rb].
- The model wants at least one deploy access level, exactly one of role, user or group per entry,
  approvals between 1 and 5, and a group's environment named by a deployment tier
  [G:ee/app/models/protected_environment.rb, protected_environments/deploy_access_level.rb,
  protected_environments/approval_rule.rb]; its errors come back as full messages (422).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import namespace_access, project_access, require_group, require_project
from provisioner.sandbox.entities import EnvironmentAccess, ProtectedEnvironment
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
from provisioner.sandbox.state import DEVELOPER, MAINTAINER, OWNER, REPORTER, Namespace, Project, State

ROUTES = Routes()
# ProtectedEnvironments::Authorizable::ALLOWED_ACCESS_LEVELS [G:ee/app/models/concerns/protected_environments/
# authorizable.rb]: Maintainer, Developer, Reporter and Admin (the API docs list 30, 40 and 60).
LEVELS = {
    MAINTAINER: "Maintainers",
    DEVELOPER: "Developers + Maintainers",
    REPORTER: "Reporters",
    60: "Admins",
}
TIERS = ("production", "staging", "testing", "development", "other")  # Environment.tiers
DEPRECATED = (
    "Parameter 'required_approval_count' is deprecated and shouldn't be used. "
    "See https://gitlab.com/groups/gitlab-org/-/epics/9662"
)
Owner = Project | Namespace


def access_json(access: EnvironmentAccess, state: State, *, approval: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": access.id,
        "access_level": access.access_level,
        "access_level_description": _description(access, state),
        "user_id": access.user_id,
        "group_id": access.group_id,
        "group_inheritance_type": access.group_inheritance_type,
    }
    if approval:
        data["required_approvals"] = access.required_approvals
    return data


def _description(access: EnvironmentAccess, state: State) -> str | None:
    """`humanize`: the user's or group's name, else the role's [G:ee/app/models/concerns/
    protected_environments/authorizable.rb]."""
    if access.user_id is not None and access.user_id in state.users:
        return state.users[access.user_id].name
    if access.group_id is not None and access.group_id in state.namespaces:
        return state.namespaces[access.group_id].name
    return LEVELS.get(access.access_level or 0)


def environment_json(env: ProtectedEnvironment, state: State) -> dict[str, Any]:
    """API::Entities::ProtectedEnvironment [G:ee/lib/api/entities/protected_environment.rb]."""
    return {
        "name": env.name,
        "deploy_access_levels": [access_json(a, state, approval=False) for a in env.deploy_access_levels],
        "required_approval_count": env.required_approval_count,
        "approval_rules": [access_json(a, state, approval=True) for a in env.approval_rules],
    }


def _owner(req: ApiRequest) -> Owner:
    if req.route.template.startswith("/api/v4/projects"):
        return require_project(req, MAINTAINER)
    return require_group(req, OWNER)


def _find(owner: Owner, name: str) -> ProtectedEnvironment:
    env = next((e for e in owner.protected_environments if e.name == name), None)
    if env is None:
        raise not_found()  # find_by_name! answers a plain 404
    return env


def _qualifies(req: ApiRequest, owner: Owner) -> Callable[[dict[str, Any]], bool]:
    """`valid_attribute?`: whether GitLab keeps an entry (a destroy request always passes)."""
    state = req.state

    def user_ok(user_id: int) -> bool:
        user = state.users.get(user_id)
        if user is None:
            return False
        if isinstance(owner, Project):
            return project_access(state, user, owner) >= DEVELOPER
        return namespace_access(state, user, owner.id) >= MAINTAINER

    def group_ok(group_id: int) -> bool:
        if isinstance(owner, Project):
            return any(share.group_id == group_id for share in owner.shared_with)
        below = group_id == owner.id or any(d.id == group_id for d in state.descendants(owner.id))
        return below or any(share.group_id == group_id for share in owner.shared_with)

    def keep(entry: dict[str, Any]) -> bool:
        if entry.get("_destroy"):
            return True
        if entry.get("group_id") is not None and not group_ok(int(entry["group_id"])):
            return False
        return entry.get("user_id") is None or user_ok(int(entry["user_id"]))

    return keep


def _entries(p: Params, name: str, *, approval: bool) -> list[dict[str, Any]]:
    """Grape's coercion and `values:` checks of one array of entries."""
    raw = p.raw(name)
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise param_error(f"{name} is invalid")
    entries = []
    for index, item in enumerate(raw):
        entry = Params(item)
        where = f"{name}[{index}]"
        fields = {
            k: entry.int(k) for k in ("id", "access_level", "user_id", "group_id", "group_inheritance_type")
        }
        if fields["access_level"] is not None and fields["access_level"] not in LEVELS:
            raise param_error(f"{where}[access_level] does not have a valid value")
        if fields["group_inheritance_type"] not in (None, 0, 1):
            raise param_error(f"{where}[group_inheritance_type] does not have a valid value")
        if approval:
            if all(fields[k] is None for k in ("access_level", "user_id", "group_id")) and not entry.bool(
                "_destroy"
            ):
                raise param_error(
                    f"{where}[access_level], {where}[user_id], {where}[group_id] are missing, at least one "
                    "parameter must be provided"
                )
            fields["required_approvals"] = entry.int("required_approvals", 1)
        fields["_destroy"] = entry.bool("_destroy", False)
        entries.append(fields)
    return entries


def _access(state: State, entry: dict[str, Any]) -> EnvironmentAccess:
    return EnvironmentAccess(
        id=state.next_id("environment_access"),
        access_level=entry["access_level"],
        user_id=entry["user_id"],
        group_id=entry["group_id"],
        group_inheritance_type=entry["group_inheritance_type"] or 0,
        required_approvals=entry.get("required_approvals"),
    )


def _nested(
    state: State, have: list[EnvironmentAccess], entries: list[dict[str, Any]]
) -> list[EnvironmentAccess]:
    """`accepts_nested_attributes_for ... allow_destroy: true`: an entry with an id updates or (with
    `_destroy`) removes that one, one without an id is added."""
    result = [dataclasses.replace(a) for a in have]  # the record changes only once it validates
    for entry in entries:
        if entry["id"] is None:
            if not entry["_destroy"]:
                result.append(_access(state, entry))
            continue
        found = next((a for a in result if a.id == entry["id"]), None)
        if found is None:
            raise not_found()  # nested attributes of another record: RecordNotFound (unverified wording)
        if entry["_destroy"]:
            result.remove(found)
            continue
        for key in ("access_level", "user_id", "group_id", "group_inheritance_type", "required_approvals"):
            if entry.get(key) is not None:
                setattr(found, key, entry[key])
    return result


def _errors(env: ProtectedEnvironment, group_level: bool) -> list[str]:
    errors = []
    if not env.deploy_access_levels:
        errors.append("Deploy access levels is too short (minimum is 1 character)")
    for kind, accesses in (
        ("Deploy access levels", env.deploy_access_levels),
        ("Approval rules", env.approval_rules),
    ):
        for access in accesses:
            if [access.access_level, access.user_id, access.group_id].count(None) != 2:
                # ExactlyOnePresentValidator on each entry [G:app/validators/exactly_one_present_validator.rb];
                # the nested error's wording is unverified.
                errors.append(f"{kind} base Exactly one of access_level, group_id, user_id must be present")
    for (
        access
    ) in env.approval_rules:  # numericality 1..5 [G:ee/app/models/protected_environments/approval_rule.rb]
        if (access.required_approvals or 0) < 1:
            errors.append("Approval rules required approvals must be greater than or equal to 1")
        elif (access.required_approvals or 0) > 5:
            errors.append("Approval rules required approvals must be less than or equal to 5")
    if group_level and env.name not in TIERS:
        errors.append(f"Name must be one of environment tiers: {', '.join(TIERS)}.")
    return errors


def _refuse_deprecated(p: Params) -> None:
    if (p.int("required_approval_count") or 0) > 0:
        raise message(DEPRECATED, 422)


for kind in ("projects", "groups"):
    BASE = f"/{kind}/:id/protected_environments"

    @ROUTES.get(BASE)
    async def list_environments(req: ApiRequest) -> Response:
        owner = _owner(req)
        envs = sorted(owner.protected_environments, key=lambda e: e.name)  # sorted_by_name
        return paginate(req.http, req.params, envs, lambda e: environment_json(e, req.state))

    @ROUTES.get(f"{BASE}/:name")
    async def get_environment(req: ApiRequest) -> Response:
        return json_response(environment_json(_find(_owner(req), req.path["name"]), req.state))

    @ROUTES.post(BASE)
    async def protect_environment(req: ApiRequest) -> Response:
        owner = _owner(req)
        p = req.params
        p.require("name", "deploy_access_levels")
        _refuse_deprecated(p)
        name = p.str("name")
        if any(e.name == name for e in owner.protected_environments):
            text = (
                f"Environment '{name}' is already protected"
                if isinstance(owner, Project)
                else f"Protected environment '{name}' already exists"
            )
            raise message(text, 409)
        keep = _qualifies(req, owner)
        deploy = [e for e in _entries(p, "deploy_access_levels", approval=False) if keep(e)]
        approvals = [e for e in _entries(p, "approval_rules", approval=True) if keep(e)]
        env = ProtectedEnvironment(
            id=req.state.next_id("protected_environment"),
            name=name,
            deploy_access_levels=[_access(req.state, e) for e in deploy if not e["_destroy"]],
            approval_rules=[_access(req.state, e) for e in approvals if not e["_destroy"]],
        )
        if errors := _errors(env, isinstance(owner, Namespace)):
            raise message(errors, 422)
        owner.protected_environments.append(env)
        return json_response(environment_json(env, req.state), 201)

    @ROUTES.put(f"{BASE}/:name")
    async def update_environment(req: ApiRequest) -> Response:
        owner = _owner(req)
        env = _find(owner, req.path["name"])
        p = req.params
        _refuse_deprecated(p)
        keep = _qualifies(req, owner)
        deploy = [e for e in _entries(p, "deploy_access_levels", approval=False) if keep(e)]
        approvals = [e for e in _entries(p, "approval_rules", approval=True) if keep(e)]
        updated = ProtectedEnvironment(
            id=env.id,
            name=env.name,
            deploy_access_levels=_nested(req.state, env.deploy_access_levels, deploy),
            approval_rules=_nested(req.state, env.approval_rules, approvals),
            required_approval_count=env.required_approval_count,
        )
        if errors := _errors(updated, isinstance(owner, Namespace)):
            raise message(errors, 422)
        env.deploy_access_levels, env.approval_rules = updated.deploy_access_levels, updated.approval_rules
        return json_response(environment_json(env, req.state))

    @ROUTES.delete(f"{BASE}/:name")
    async def unprotect_environment(req: ApiRequest) -> Response:
        owner = _owner(req)
        owner.protected_environments.remove(_find(owner, req.path["name"]))
        return no_content()  # destroy_conditionally!
