"""Container and package registry protection rules (REFERENCE 2.6, 2.7)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import require_project
from provisioner.sandbox.http import ApiError, Params, json_response, no_content, not_found, paginate
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import (
    MAINTAINER,
    ContainerProtectionRule,
    PackageProtectionRule,
    Project,
)
from provisioner.sandbox.versions import has

ROUTES = Routes()
RULE_LEVELS = ("maintainer", "owner", "admin")
PACKAGE_TYPES = ("conan", "generic", "helm", "maven", "npm", "nuget", "pypi")  # grew over 17.x-18.x
CONTAINER = "/projects/:id/registry/protection/repository/rules"
PACKAGES = "/projects/:id/packages/protection/rules"


def _rule_error(text: str) -> ApiError:
    return ApiError(422, {"message": {"error": text}})


def _level(p: Params, name: str, current: str | None = None) -> str | None:
    """A rule level; `""` unsets it (REFERENCE 2.6)."""
    if name not in p:
        return current
    if p.raw(name) in ("", None):
        return None
    return str(p.enum(name, RULE_LEVELS))


# -- container repository protection rules ---------------------------------------------------------
def container_rule_json(project: Project, rule: ContainerProtectionRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "project_id": project.id,
        "repository_path_pattern": rule.repository_path_pattern,
        "minimum_access_level_for_push": rule.minimum_access_level_for_push,
        "minimum_access_level_for_delete": rule.minimum_access_level_for_delete,
    }


def _check_container_rule(req: ApiRequest, project: Project, rule: ContainerProtectionRule) -> None:
    full_path = req.state.project_full_path(project).lower()
    if not rule.repository_path_pattern.lower().startswith(full_path):
        raise _rule_error(
            "Repository path pattern should start with the project's full path"
        )  # guessed wording
    if rule.minimum_access_level_for_push is None and rule.minimum_access_level_for_delete is None:
        raise _rule_error("A rule must have at least a minimum access role for push or delete.")  # guessed
    if any(
        r.repository_path_pattern == rule.repository_path_pattern and r.id != rule.id
        for r in project.container_protection_rules
    ):
        # `validates :repository_path_pattern, uniqueness: { scope: :project_id }`: Rails' full message
        # [G:app/models/container_registry/protection/rule.rb]; the answer's shape is guessed.
        raise _rule_error("Repository path pattern has already been taken")


@ROUTES.get(CONTAINER)
async def list_container_rules(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    return paginate(
        req.http, req.params, project.container_protection_rules, lambda r: container_rule_json(project, r)
    )


@ROUTES.post(CONTAINER)
async def create_container_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    p = req.params
    p.require("repository_path_pattern")
    p.at_least_one_of(["minimum_access_level_for_push", "minimum_access_level_for_delete"])
    rule = ContainerProtectionRule(
        id=req.state.next_id("container_rule"),
        repository_path_pattern=p.str("repository_path_pattern"),
        minimum_access_level_for_push=_level(p, "minimum_access_level_for_push"),
        minimum_access_level_for_delete=_level(p, "minimum_access_level_for_delete"),
    )
    _check_container_rule(req, project, rule)
    project.container_protection_rules.append(rule)
    return json_response(container_rule_json(project, rule), 201)


def _container_rule(req: ApiRequest, project: Project) -> ContainerProtectionRule:
    raw = req.path["rule_id"]
    rule = next((r for r in project.container_protection_rules if str(r.id) == raw), None)
    if rule is None:
        raise not_found()
    return rule


@ROUTES.patch(f"{CONTAINER}/:rule_id")
async def update_container_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    rule = _container_rule(req, project)
    p = req.params
    updated = ContainerProtectionRule(
        id=rule.id,
        repository_path_pattern=p.str("repository_path_pattern", rule.repository_path_pattern),
        minimum_access_level_for_push=_level(
            p, "minimum_access_level_for_push", rule.minimum_access_level_for_push
        ),
        minimum_access_level_for_delete=_level(
            p, "minimum_access_level_for_delete", rule.minimum_access_level_for_delete
        ),
    )
    _check_container_rule(req, project, updated)
    vars(rule).update(vars(updated))
    return json_response(container_rule_json(project, rule))


@ROUTES.delete(f"{CONTAINER}/:rule_id")
async def delete_container_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    project.container_protection_rules.remove(_container_rule(req, project))
    return no_content()


# -- package protection rules ----------------------------------------------------------------------
DELETE_LEVEL = "rest:PackageProtectionRule.minimum_access_level_for_delete"


def package_rule_json(req: ApiRequest, project: Project, rule: PackageProtectionRule) -> dict[str, Any]:
    data = {
        "id": rule.id,
        "project_id": project.id,
        "package_name_pattern": rule.package_name_pattern,
        "package_type": rule.package_type,
        "minimum_access_level_for_push": rule.minimum_access_level_for_push,
        "minimum_access_level_for_delete": rule.minimum_access_level_for_delete,
    }
    if not has(req.state, DELETE_LEVEL):  # 17.11 [G:doc/api/project_packages_protection_rules.md]
        del data["minimum_access_level_for_delete"]
    return data


def _delete_level(req: ApiRequest, current: str | None = None) -> str | None:
    """Older GitLab does not declare the parameter: Grape drops it silently."""
    if not has(req.state, DELETE_LEVEL):
        return current
    return _level(req.params, "minimum_access_level_for_delete", current)


def _check_package_rule(project: Project, rule: PackageProtectionRule) -> None:
    if any(
        r.package_name_pattern == rule.package_name_pattern
        and r.package_type == rule.package_type
        and r.id != rule.id
        for r in project.package_protection_rules
    ):
        # `uniqueness: { scope: [:project_id, :package_type] }` [G:app/models/packages/protection/rule.rb];
        # the service answers `errors.full_messages`, rendered as {error: [...]} with 422
        # [G:app/services/packages/protection/create_rule_service.rb, lib/api/project_packages_protection_rules.rb].
        raise ApiError(422, {"message": {"error": ["Package name pattern has already been taken"]}})


def _package_rule(req: ApiRequest, project: Project) -> PackageProtectionRule:
    raw = req.path["rule_id"]
    rule = next((r for r in project.package_protection_rules if str(r.id) == raw), None)
    if rule is None:
        raise not_found()
    return rule


@ROUTES.get(PACKAGES)
async def list_package_rules(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    return paginate(
        req.http, req.params, project.package_protection_rules, lambda r: package_rule_json(req, project, r)
    )


@ROUTES.post(PACKAGES)
async def create_package_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    p = req.params
    p.require("package_name_pattern", "package_type", "minimum_access_level_for_push")
    rule = PackageProtectionRule(
        id=req.state.next_id("package_rule"),
        package_name_pattern=p.str("package_name_pattern"),
        package_type=p.enum("package_type", PACKAGE_TYPES),
        minimum_access_level_for_push=_level(p, "minimum_access_level_for_push"),
        minimum_access_level_for_delete=_delete_level(req),
    )
    _check_package_rule(project, rule)
    project.package_protection_rules.append(rule)
    return json_response(package_rule_json(req, project, rule), 201)


@ROUTES.patch(f"{PACKAGES}/:rule_id")
async def update_package_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    rule = _package_rule(req, project)
    p = req.params
    updated = PackageProtectionRule(
        id=rule.id,
        package_name_pattern=p.str("package_name_pattern", rule.package_name_pattern),
        package_type=p.enum("package_type", PACKAGE_TYPES, rule.package_type),
        minimum_access_level_for_push=_level(
            p, "minimum_access_level_for_push", rule.minimum_access_level_for_push
        ),
        minimum_access_level_for_delete=_delete_level(req, rule.minimum_access_level_for_delete),
    )
    _check_package_rule(project, updated)
    vars(rule).update(vars(updated))
    return json_response(package_rule_json(req, project, rule))


@ROUTES.delete(f"{PACKAGES}/:rule_id")
async def delete_package_rule(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    project.package_protection_rules.remove(_package_rule(req, project))
    return no_content()
