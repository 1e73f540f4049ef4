"""Package and container repository protection rules: complete lists, levels patched in place.

A package rule is identified by (pattern, package type), a container rule by its pattern. Rules the
inventory does not list are removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.gitlab import registry as api_registry
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.registry import ContainerRule, PackageRule
from provisioner.inventory.schema import ContainerProtectionRule, PackageProtectionRule
from provisioner.model import Action, Change

LEVELS = ("minimum_access_level_for_push", "minimum_access_level_for_delete")


@dataclass(frozen=True)
class _Rule:
    kind: str  # "package" | "container"
    action: Action
    body: Mapping[str, Any]  # create: the whole rule; update: the levels that differ
    rule_id: int = 0


def diff_package_rules(
    facet: str, desired: Sequence[PackageProtectionRule], observed: Sequence[PackageRule]
) -> list[Change]:
    have = {r.identity: r for r in observed}
    wanted: dict[tuple[str, str], PackageProtectionRule] = {
        (r.package_name_pattern, r.package_type): r for r in desired
    }
    changes: list[Change] = []
    for identity, want in wanted.items():
        target = package_rule_target(*identity)
        changes += _compare(facet, "package", target, want.model_dump(), have.get(identity))
    for identity, rule in have.items():
        if identity not in wanted:
            changes.append(_removal(facet, "package", package_rule_target(*identity), rule))
    return changes


def package_rule_target(pattern: str, package_type: str) -> str:
    return f'package protection rule "{pattern}" ({package_type})'


def diff_container_rules(
    facet: str, desired: Sequence[ContainerProtectionRule], observed: Sequence[ContainerRule]
) -> list[Change]:
    have = {r.identity: r for r in observed}
    wanted = {r.repository_path_pattern: r for r in desired}
    changes: list[Change] = []
    for pattern, want in wanted.items():
        target = f'container protection rule "{pattern}"'
        changes += _compare(facet, "container", target, want.model_dump(), have.get(pattern))
    for pattern, rule in have.items():
        if pattern not in wanted:
            changes.append(_removal(facet, "container", f'container protection rule "{pattern}"', rule))
    return changes


def _compare(
    facet: str, kind: str, target: str, want: Mapping[str, Any], have: PackageRule | ContainerRule | None
) -> list[Change]:
    levels = {name: want[name] for name in LEVELS}
    if have is None:
        return [Change(facet, target, Action.CREATE, after=levels, payload=_Rule(kind, Action.CREATE, want))]
    differing = [name for name in LEVELS if getattr(have, name) != levels[name]]
    if not differing:
        return []
    return [
        Change(
            facet,
            target,
            Action.UPDATE,
            before={name: getattr(have, name) for name in differing},
            after={name: levels[name] for name in differing},
            payload=_Rule(kind, Action.UPDATE, {name: levels[name] for name in differing}, have.id),
        )
    ]


def _removal(facet: str, kind: str, target: str, rule: PackageRule | ContainerRule) -> Change:
    before = {name: getattr(rule, name) for name in LEVELS}
    return Change(
        facet, target, Action.DELETE, before=before, payload=_Rule(kind, Action.DELETE, {}, rule.id)
    )


def apply_rule(api: GitLabApi, project_id: int, change: Change) -> bool:
    """Apply `change` if it is about a protection rule; says whether it was."""
    plan = change.payload
    if not isinstance(plan, _Rule):
        return False
    package = plan.kind == "package"
    if plan.action is Action.CREATE:
        create = api_registry.create_package_rule if package else api_registry.create_container_rule
        create(api, project_id, plan.body)
    elif plan.action is Action.UPDATE:
        update = api_registry.update_package_rule if package else api_registry.update_container_rule
        update(api, project_id, plan.rule_id, plan.body)
    else:
        delete = api_registry.delete_package_rule if package else api_registry.delete_container_rule
        delete(api, project_id, plan.rule_id)
    return True
