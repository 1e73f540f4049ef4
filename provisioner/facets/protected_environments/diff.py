"""The protected environments diff, pure: (the rules wanted, in ids; the rules GitLab holds) -> changes.

A rule is compared as sets of who (a role, a user id, a group id and whether its subgroups count) for
deploying and of (who, approvals required) for approving. An update carries GitLab's nested
attributes: what goes is destroyed by id, what comes is added (a changed count is one of each).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.gitlab import protected_environments as api_envs
from provisioner.gitlab.protected_environments import Access, EnvironmentRule
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.protected_environments import EnvironmentProtection
from provisioner.model import Action, Change

Who = tuple[str, int, bool]  # ("role", 40, False), ("user", 7, False), ("group", 12, inherited)


@dataclass(frozen=True)
class Observed:
    server: Version
    rules: tuple[EnvironmentRule, ...] | None  # None: this GitLab has no protected environments
    ids: Mapping[tuple[str, str, bool], Who] = field(default_factory=dict)  # the inventory's names -> ids
    names: Mapping[Who, str] = field(default_factory=dict)  # ids -> how the inventory says them


@dataclass(frozen=True)
class Write:
    name: str
    body: Mapping[str, Any]


def diff_environments(
    facet: str, wanted: Mapping[str, EnvironmentProtection], observed: Observed, prune: bool
) -> list[Change]:
    assert observed.rules is not None
    have = {r.name: r for r in observed.rules}
    changes: list[Change] = []
    for name, rule in wanted.items():
        deploy = {observed.ids[g.key] for g in rule.deploy}
        approvals = {(observed.ids[a.key], a.required) for a in rule.approvals}
        changes += _rule_changes(facet, name, deploy, approvals, have.get(name), observed.names)
    for name in sorted(set(have) - set(wanted)):
        target = f'protected environment "{name}"'
        if prune:
            before = _shown(have[name], observed.names)
            changes.append(Change(facet, target, Action.DELETE, before=before, payload=Write(name, {})))
        else:
            changes.append(Change(facet, target, Action.UNMANAGED))
    return changes


def _rule_changes(
    facet: str,
    name: str,
    deploy: set[Who],
    approvals: set[tuple[Who, int]],
    have: EnvironmentRule | None,
    names: Mapping[Who, str],
) -> list[Change]:
    target = f'protected environment "{name}"'
    after = _described(deploy, approvals, names)
    if have is None:
        body: dict[str, Any] = {
            "name": name,
            "deploy_access_levels": [api_envs.entry(w) for w in sorted(deploy)],
        }
        if approvals:
            body["approval_rules"] = [api_envs.entry(w, n) for w, n in sorted(approvals)]
        return [Change(facet, target, Action.CREATE, after=after, payload=Write(name, body))]
    update: dict[str, Any] = {}
    if {a.who for a in have.deploy} != deploy or len(have.deploy) != len(deploy):
        keep = _first_of_each(have.deploy, lambda a: a.who, deploy)
        add = [api_envs.entry(w) for w in sorted(deploy - {a.who for a in keep})]
        update["deploy_access_levels"] = api_envs.changed_entries(have.deploy, keep, add)
    held = {(a.who, a.required or 1) for a in have.approvals}
    if held != approvals or len(have.approvals) != len(approvals):
        keep = _first_of_each(have.approvals, lambda a: (a.who, a.required or 1), approvals)
        add = [api_envs.entry(w, n) for w, n in sorted(approvals - {(a.who, a.required or 1) for a in keep})]
        update["approval_rules"] = api_envs.changed_entries(have.approvals, keep, add)
    if not update:
        return []
    before = _shown(have, names)
    shown_keys = {"deploy" if k == "deploy_access_levels" else "approvals" for k in update}
    return [
        Change(
            facet,
            target,
            Action.UPDATE,
            {k: v for k, v in before.items() if k in shown_keys},
            {k: v for k, v in after.items() if k in shown_keys} | {k: [] for k in shown_keys - set(after)},
            payload=Write(name, update),
        )
    ]


def _first_of_each(
    have: Iterable[Access], key: Callable[[Access], Any], wanted: Container[Any]
) -> list[Access]:
    """The entries to keep: the first GitLab holds of each wanted one (a second is a duplicate)."""
    kept: dict[Any, Access] = {}
    for access in have:
        if key(access) in wanted:
            kept.setdefault(key(access), access)
    return list(kept.values())


def _described(deploy: set[Who], approvals: set[tuple[Who, int]], names: Mapping[Who, str]) -> dict[str, Any]:
    shown: dict[str, Any] = {"deploy": sorted(names[w] for w in deploy)}
    if approvals:
        shown["approvals"] = sorted(f"{n} from {names[w]}" for w, n in approvals)
    return shown


def _shown(rule: EnvironmentRule, names: Mapping[Who, str]) -> dict[str, Any]:
    return _described({a.who for a in rule.deploy}, {(a.who, a.required or 1) for a in rule.approvals}, names)
