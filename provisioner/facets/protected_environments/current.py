"""`import` of protected environments: each rule in the inventory's words (roles by name, users by
username, groups by path). An entry GitLab shows that the inventory cannot name (a user or group that
no longer exists) leaves its environment out, with a note. A project whose protected environments do
not include every environment the catalogue's blueprints deploy to gets `blueprint: false`, so that
a plan right after the import protects nothing new."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint.needs import catalogue_needs
from provisioner.facets.base import Description
from provisioner.facets.describing import read_part
from provisioner.gitlab import protected_environments as api_envs
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.protected_environments import Access, Container
from provisioner.gitlab_versions import available
from provisioner.inventory.sections.protected_environments import ROLE_NAMES


@dataclass(frozen=True)
class CurrentRules:
    environments: Mapping[str, Mapping[str, Any]]  # name -> {deploy: [...], approvals: [...]}, as written


def read_rules(api: GitLabApi, container: Container, target_id: int, notes: list[str]) -> CurrentRules | None:
    feature = api_envs.FEATURE if container == "projects" else api_envs.GROUP_FEATURE
    if not available(feature, api.server()):
        return None
    rules = read_part(notes, "protected environments", lambda: api_envs.rules(api, container, target_id))
    if rules is None:
        return None
    environments: dict[str, Mapping[str, Any]] = {}
    for rule in rules:
        deploy = [_grantee(api, a) for a in rule.deploy]
        approvals = [_grantee(api, a) for a in rule.approvals]
        if any(g is None for g in [*deploy, *approvals]):
            notes.append(
                f'protected environment "{rule.name}": names a user, group or level the inventory cannot '
                "express; unmanaged"
            )
            continue
        entry: dict[str, Any] = {"deploy": deploy}
        if rule.approvals:
            entry["approvals"] = [
                _approver(g, a.required or 1) for g, a in zip(approvals, rule.approvals, strict=True)
            ]
        environments[rule.name] = entry
    return CurrentRules(environments)


def _grantee(api: GitLabApi, access: Access) -> Any:
    kind, ident, inherited = access.who
    if kind == "role":
        return ROLE_NAMES.get(ident)
    name = api_envs.username_of(api, ident) if kind == "user" else api_envs.group_path_of(api, ident)
    if name is None:
        return None
    return {kind: name, **({"inherited": True} if inherited else {})}


def _approver(grantee: Any, required: int) -> dict[str, Any]:
    who = {"role": grantee} if isinstance(grantee, str) else dict(grantee)
    return {**who, **({"required": required} if required != 1 else {})}


def describe_rules(section: str | None, current: CurrentRules | None, *, project_level: bool) -> Description:
    if current is None or section is None:
        return Description()
    entry: dict[str, Any] = {}
    if current.environments:
        entry["environments"] = {name: dict(rule) for name, rule in sorted(current.environments.items())}
    declared = {env for needs in catalogue_needs() for env in needs.environments}
    if project_level and not declared <= set(current.environments):
        entry["blueprint"] = False
    return Description(entry={section: entry} if entry else {})
