"""Merge request approvals of a project (GitLab Premium): the settings (`approval_settings`) and the
project-level rules (`approval_rules`, identity: the rule's name).

On the Community Edition neither exists. Known from the server's version (`GET /version`, once per
run), each project that asks for them gets an `unsupported` finding ("needs GitLab EE") before
anything is read: neither drift nor a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions, unsupported
from provisioner.facets.describing import read_part
from provisioner.gitlab import approvals as api_approvals
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.approvals import FEATURE, ApprovalRuleRecord
from provisioner.gitlab_versions import Version
from provisioner.gitlab_versions import available as gitlab_available
from provisioner.inventory.sections.approvals import ApprovalRule, ApprovalRules, ApprovalSettings
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

SETTINGS_TARGET = "approval settings"


@dataclass(frozen=True)
class Observed:
    """What a project has; `found` is None when this GitLab has no approvals at all (`server` says why)."""

    server: Version
    found: Any


def settings_section(spec: ProjectSpec) -> ApprovalSettings | None:
    return getattr(spec.config, "approval_settings", None)


def rules_section(spec: ProjectSpec) -> ApprovalRules | None:
    return getattr(spec.config, "approval_rules", None)


def needs_ee(facet: str, target: str, server: Version) -> list[Change]:
    finding = unsupported(facet, target, FEATURE, server)
    return [finding] if finding else []


# -- settings --------------------------------------------------------------------------------------
def diff_settings(facet: str, want: ApprovalSettings, have: dict[str, bool]) -> list[Change]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in want.model_dump(exclude_none=True).items():
        if have.get(name) != value:
            before[name], after[name] = have.get(name), value
    if not after:
        return []
    return [Change(facet, SETTINGS_TARGET, Action.UPDATE, before, after, payload=dict(after))]


class ProjectApprovalSettings(FacetDefaults):
    name = "approval_settings"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER
    section = "approval_settings"
    schema = ApprovalSettings

    def wants(self, spec: ProjectSpec) -> bool:
        return settings_section(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Observed:
        server = api.server()
        if not gitlab_available(FEATURE, server):
            return Observed(server, None)
        return Observed(server, api_approvals.settings(api, project.id))

    def diff(self, spec: ProjectSpec, observed: Observed, options: PlanOptions) -> list[Change]:
        want = settings_section(spec)
        if want is None:
            return []
        if observed.found is None:
            return needs_ee(self.name, SETTINGS_TARGET, observed.server)
        return diff_settings(self.name, want, observed.found)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        for change in changes:
            api_approvals.change_settings(api, project.id, change.payload, api.server())

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> dict[str, bool] | None:
        if not gitlab_available(FEATURE, api.server()):
            return None  # nothing to import from the Community Edition
        return read_part(notes, SETTINGS_TARGET, lambda: api_approvals.settings(api, project.id))

    def describe(self, project: ProjectRef, current: dict[str, bool] | None) -> Description:
        if not current:
            return Description()
        return Description(entry={self.section: ApprovalSettings(**current).model_dump(exclude_none=True)})


# -- rules -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    want: ApprovalRule | None
    name: str
    rule_id: int | None


USER_DEFINED = ("regular", "any_approver")
"""The rule types a person makes; other rules (report approvers, policies') are only reported."""


def _shown(rule: ApprovalRule | ApprovalRuleRecord) -> dict[str, Any]:
    return {
        "approvals_required": rule.approvals_required,
        "users": sorted(u.lower() for u in rule.users),  # GitLab's are case-insensitive
        "groups": sorted(g.lower() for g in rule.groups),
        "protected_branches": sorted(rule.protected_branches),
        "applies_to_all_protected_branches": rule.applies_to_all_protected_branches,
    }


def diff_rules(facet: str, config: ApprovalRules, observed: Sequence[ApprovalRuleRecord]) -> list[Change]:
    have = {r.name: r for r in observed}
    changes: list[Change] = []
    for name, want in sorted(config.rules.items()):
        target = f"approval rule {name}"
        found = have.get(name)
        if found is None:
            changes.append(
                Change(facet, target, Action.CREATE, after=_shown(want), payload=_Plan(want, name, None))
            )
            continue
        wanted, kept = _shown(want), _shown(found)
        differ = [key for key in wanted if wanted[key] != kept[key]]
        if differ:
            before = {key: kept[key] for key in differ}
            after = {key: wanted[key] for key in differ}
            changes.append(
                Change(facet, target, Action.UPDATE, before, after, payload=_Plan(want, name, found.id))
            )
    for name, found in sorted(have.items()):
        if name in config.rules:
            continue
        prune = config.prune and found.rule_type in USER_DEFINED
        action = Action.DELETE if prune else Action.UNMANAGED
        changes.append(
            Change(
                facet,
                f"approval rule {name}",
                action,
                before=_shown(found),
                payload=_Plan(None, name, found.id),
            )
        )
    return changes


def apply_rules(api: GitLabApi, project_id: int, changes: Sequence[Change]) -> None:
    for change in changes:
        plan: _Plan = change.payload
        if change.action is Action.DELETE and plan.rule_id is not None:
            api_approvals.delete_rule(api, project_id, plan.rule_id)
            continue
        if plan.want is None:
            continue
        body = api_approvals.rule_body(
            api,
            project_id,
            name=plan.name,
            approvals_required=plan.want.approvals_required,
            users=plan.want.users,
            groups=plan.want.groups,
            protected_branches=plan.want.protected_branches,
            applies_to_all_protected_branches=plan.want.applies_to_all_protected_branches,
        )
        if change.action is Action.CREATE:
            api_approvals.create_rule(api, project_id, body)
        elif plan.rule_id is not None:
            api_approvals.update_rule(api, project_id, plan.rule_id, body)


def describe_rules(section: str, rules: Sequence[ApprovalRuleRecord] | None) -> Description:
    out = Description()
    entries: dict[str, Any] = {}
    for rule in rules or ():
        if rule.rule_type not in USER_DEFINED:
            out.notes.append(
                f"{section}: rule {rule.name} ({rule.rule_type}) is not a rule a person makes; unmanaged"
            )
            continue
        written = ApprovalRule(
            approvals_required=rule.approvals_required,
            users=sorted(rule.users),
            groups=sorted(rule.groups),
            protected_branches=sorted(rule.protected_branches),
            applies_to_all_protected_branches=rule.applies_to_all_protected_branches,
        )
        entries[rule.name] = written.model_dump(exclude_defaults=True)
    if entries:
        out.entry[section] = {"rules": entries}
    return out


class ProjectApprovalRules(FacetDefaults):
    name = "approval_rules"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER
    section = "approval_rules"
    schema = ApprovalRules

    def wants(self, spec: ProjectSpec) -> bool:
        return rules_section(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Observed:
        server = api.server()
        if not gitlab_available(FEATURE, server):
            return Observed(server, None)
        return Observed(server, api_approvals.rules(api, project.id))

    def diff(self, spec: ProjectSpec, observed: Observed, options: PlanOptions) -> list[Change]:
        config = rules_section(spec)
        if config is None:
            return []
        if observed.found is None:
            return needs_ee(self.name, "approval rules", observed.server)
        return diff_rules(self.name, config, observed.found)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_rules(api, project.id, changes)

    def read_current(
        self, api: GitLabApi, project: ProjectRef, notes: list[str]
    ) -> list[ApprovalRuleRecord] | None:
        if not gitlab_available(FEATURE, api.server()):
            return None
        return read_part(notes, "approval rules", lambda: api_approvals.rules(api, project.id))

    def describe(self, project: ProjectRef, current: list[ApprovalRuleRecord] | None) -> Description:
        return describe_rules(self.section, current)
