"""The project's push rule (`push_rules`; GitLab Premium): one per project, so one change at most,
a create or an update of the keys the inventory names. On the Community Edition each project that
asks for it gets an `unsupported` finding ("needs GitLab EE"), without a read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pydantic import ValidationError

from provisioner.facets.approvals import Observed
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions, unsupported
from provisioner.facets.describing import read_part
from provisioner.gitlab import push_rules as api_push_rules
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.push_rules import FEATURE, PushRuleRecord
from provisioner.gitlab_versions import available
from provisioner.inventory.sections.push_rules import PushRules
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

TARGET = "push rule"


def section(spec: ProjectSpec) -> PushRules | None:
    return getattr(spec.config, "push_rules", None)


def diff_push_rule(facet: str, want: PushRules, have: PushRuleRecord | None) -> list[Change]:
    wanted = want.model_dump(exclude_none=True)
    if have is None:
        return [Change(facet, TARGET, Action.CREATE, after=wanted, payload=wanted)]
    kept = asdict(have)
    differ = {name: value for name, value in wanted.items() if kept[name] != value}
    if not differ:
        return []
    before = {name: kept[name] for name in differ}
    return [Change(facet, TARGET, Action.UPDATE, before, differ, payload=differ)]


class ProjectPushRules(FacetDefaults):
    name = "push_rules"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER
    section = "push_rules"
    schema = PushRules

    def wants(self, spec: ProjectSpec) -> bool:
        return section(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Observed:
        server = api.server()
        if not available(FEATURE, server):
            return Observed(server, None)
        require_maintainer(project)  # GitLab answers a bare 403 otherwise
        return Observed(server, (api_push_rules.read(api, project.id),))

    def diff(self, spec: ProjectSpec, observed: Observed, options: PlanOptions) -> list[Change]:
        want = section(spec)
        if want is None:
            return []
        if observed.found is None:
            finding = unsupported(self.name, TARGET, FEATURE, observed.server)
            return [finding] if finding else []
        return diff_push_rule(self.name, want, observed.found[0])

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        for change in changes:
            if change.action is Action.CREATE:
                api_push_rules.create(api, project.id, change.payload)
            else:
                api_push_rules.update(api, project.id, change.payload)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> PushRuleRecord | None:
        if not available(FEATURE, api.server()):
            return None
        return read_part(notes, TARGET, lambda: api_push_rules.read(api, project.id))

    def describe(self, project: ProjectRef, current: Any) -> Description:
        if not isinstance(current, PushRuleRecord):
            return Description()
        return describe_push_rule(self.section, current)


def describe_push_rule(section_name: str, current: PushRuleRecord) -> Description:
    """Every key, so that a later change on GitLab is drift; a regex this check refuses (GitLab may
    hold one it accepted before) is left out with a note instead of making the inventory invalid."""
    entry, notes = asdict(current), []
    try:
        PushRules.model_validate(entry)
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0])
            entry.pop(key, None)
            notes.append(f"{section_name}.{key}: {error['msg']}; left unmanaged")
    return Description(entry={section_name: entry}, notes=notes)
