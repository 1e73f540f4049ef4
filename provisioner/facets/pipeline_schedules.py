"""A project's pipeline schedules (`pipeline_schedules`), identified by description.

Compared: cron (whitespace aside), time zone, ref (GitLab stores `refs/heads/main` for `main`: both
sides are compared short), active, and the variables when the inventory lists them (then all of
them: one it does not name is removed). Variable values are compared in memory and never shown.

GitLab lets only a schedule's owner change it (the token's user owns what it creates). A schedule
owned by someone else that differs is drift the tool does not write (`awaiting` its owner), unless
the inventory says `take_ownership: true`: then it takes the schedule over once, and from then on
the schedule is the token's and nothing is written again. Schedules the inventory does not name are
reported, and deleted only with `prune: true`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.errors import Unobservable
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.facets.pipeline_schedules_current import describe_schedules, read_schedules
from provisioner.gitlab import identity
from provisioner.gitlab import pipeline_schedules as api_schedules
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.graphql_schedules import SCHEDULES_READ
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.pipeline_schedules import ScheduleRecord, ScheduleVariableRecord, short_ref
from provisioner.inventory.section_secrets import references as section_references
from provisioner.inventory.sections.pipeline_schedules import PipelineSchedules, Schedule, ScheduleVariable
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import SENSITIVE, Action, Change, ProjectRef, Role, TargetKind
from provisioner.secrets import Secret

SECTION = "pipeline_schedules"


@dataclass(frozen=True)
class ObservedSchedules:
    schedules: tuple[ScheduleRecord, ...]
    variables: Mapping[int, tuple[ScheduleVariableRecord, ...]] = field(default_factory=dict)
    default_branch: str | None = None
    token_user_id: int | None = None
    token_is_admin: bool = False


@dataclass(frozen=True)
class WantedVariable:
    key: str
    value: str | Secret | None  # None: value left as GitLab has it
    variable_type: str = "env_var"

    def revealed(self) -> str | None:
        return self.value.reveal() if isinstance(self.value, Secret) else self.value


@dataclass(frozen=True)
class _Write:
    attributes: Mapping[str, Any]  # what PUT or POST sends
    set_variables: tuple[tuple[WantedVariable, bool], ...] = ()  # (variable, exists on GitLab)
    delete_variables: tuple[str, ...] = ()
    schedule_id: int | None = None
    take_ownership: bool = False


def wanted_variables(
    spec: ProjectSpec, description: str, schedule: Schedule
) -> tuple[WantedVariable, ...] | None:
    """The schedule's variables with their values in memory (secrets from `spec.secrets`)."""
    if schedule.variables is None:
        return None
    out = []
    for key, entry in sorted(schedule.variables.items()):
        variable = entry if isinstance(entry, ScheduleVariable) else ScheduleVariable(value=entry)
        value: str | Secret | None = variable.value
        if variable.secret is not None:
            value = spec.secrets[variable.secret]
        out.append(WantedVariable(key, value, variable.variable_type))
    return tuple(out)


def diff_schedules(
    facet: str, spec: ProjectSpec, config: PipelineSchedules, observed: ObservedSchedules
) -> list[Change]:
    by_description: dict[str, ScheduleRecord] = {}
    extra: list[ScheduleRecord] = []
    for record in sorted(observed.schedules, key=lambda s: s.id):
        (
            extra.append(record)
            if record.description in by_description
            else by_description.setdefault(record.description, record)
        )
    changes: list[Change] = []
    for description, schedule in sorted(config.schedules.items()):
        target = f"schedule {description}"
        ref = schedule.ref or observed.default_branch
        if ref is None:
            note = "no ref, and the project has no default branch yet: give ref"
            changes.append(Change(facet, target, Action.UNMANAGED, after={"note": note}))
            continue
        variables = wanted_variables(spec, description, schedule)
        found = by_description.get(description)
        if found is None:
            changes.append(_create(facet, target, description, schedule, ref, variables or ()))
        else:
            change = _update(facet, target, schedule, ref, variables, found, observed)
            changes.extend([change] if change else [])
    for record in [r for d, r in sorted(by_description.items()) if d not in config.schedules] + extra:
        action = Action.DELETE if config.prune else Action.UNMANAGED
        payload = _Write({}, schedule_id=record.id) if config.prune else None
        changes.append(
            Change(facet, f"schedule {record.description}", action, before=_shown(record), payload=payload)
        )
    return changes


def _shown(record: ScheduleRecord) -> dict[str, Any]:
    return {
        "cron": record.cron,
        "cron_timezone": record.cron_timezone,
        "ref": short_ref(record.ref),
        "active": record.active,
        "owner": record.owner,
    }


def _create(
    facet: str,
    target: str,
    description: str,
    schedule: Schedule,
    ref: str,
    variables: tuple[WantedVariable, ...],
) -> Change:
    attributes = {
        "description": description,
        "ref": ref,
        "cron": schedule.cron,  # never None once loaded (problems_after_merge)
        "cron_timezone": schedule.cron_timezone,
        "active": schedule.active,
    }
    settable = tuple((v, False) for v in variables if v.value is not None)
    after: dict[str, Any] = {k: v for k, v in attributes.items() if k != "description"}
    if variables:
        after["variables"] = {v.key: SENSITIVE if v.value is not None else "(left as is)" for v in variables}
    return Change(facet, target, Action.CREATE, after=after, payload=_Write(attributes, settable))


def _update(
    facet: str,
    target: str,
    schedule: Schedule,
    ref: str,
    variables: tuple[WantedVariable, ...] | None,
    found: ScheduleRecord,
    observed: ObservedSchedules,
) -> Change | None:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    pairs = (
        ("cron", " ".join(found.cron.split()), schedule.cron),
        ("cron_timezone", found.cron_timezone, schedule.cron_timezone),
        ("ref", short_ref(found.ref), short_ref(ref)),
        ("active", found.active, schedule.active),
    )
    for name, old, new in pairs:
        if old != new:
            before[name], after[name] = old, new
            attributes[name] = ref if name == "ref" else new
    settable: list[tuple[WantedVariable, bool]] = []
    deleted: tuple[str, ...] = ()
    if variables is not None:
        current = observed.variables.get(found.id)
        if current is None:
            raise Unobservable(
                f"{target}: GitLab shows a schedule's variables only to a Maintainer or the schedule's owner"
            )
        have_vars = {v.key: v for v in current}
        for want in variables:
            have = have_vars.get(want.key)
            value_differs = want.value is not None and (have is None or have.value != want.revealed())
            if have is None and want.value is None:
                continue  # value_unmanaged, and missing: nothing to write it from
            if value_differs or (have is not None and have.variable_type != want.variable_type):
                settable.append((want, have is not None))
        deleted = tuple(sorted(set(have_vars) - {v.key for v in variables}))
        if settable or deleted:
            before["variables"] = {k: SENSITIVE for k in sorted(have_vars)}
            after["variables"] = {
                v.key: SENSITIVE for v in variables if v.key in have_vars or v.value is not None
            }
    if not after:
        return None
    mine = observed.token_is_admin or (
        found.owner_id is not None and found.owner_id == observed.token_user_id
    )
    if not mine and not schedule.take_ownership:
        after["note"] = (
            f"owned by {found.owner or 'someone else'}: only its owner can change it (take_ownership: true takes it over)"
        )
        return Change(facet, target, Action.AWAITING, before=before, after=after)
    if not mine:
        after["owner"] = "(this token's user)"
    write = _Write(attributes, tuple(settable), deleted, found.id, take_ownership=not mine)
    return Change(facet, target, Action.UPDATE, before=before, after=after, payload=write)


def apply_schedules(api: GitLabApi, project_id: int, changes: Sequence[Change]) -> None:
    for change in changes:
        write: _Write = change.payload
        if change.action is Action.DELETE and write.schedule_id is not None:
            api_schedules.delete(api, project_id, write.schedule_id)
            continue
        schedule_id = write.schedule_id
        if change.action is Action.CREATE:
            schedule_id = api_schedules.create(api, project_id, write.attributes)
        elif change.action is Action.UPDATE and schedule_id is not None:
            if write.take_ownership:  # asked for in the inventory, and needed for this change only
                api_schedules.take_ownership(api, project_id, schedule_id)
            if write.attributes:
                api_schedules.update(api, project_id, schedule_id, write.attributes)
        if schedule_id is None:
            continue
        for variable, exists in write.set_variables:
            value = variable.revealed()
            assert value is not None
            api_schedules.set_variable(
                api, project_id, schedule_id, variable.key, value, variable.variable_type, exists=exists
            )
        for key in write.delete_variables:
            api_schedules.delete_variable(api, project_id, schedule_id, key)


def _config(spec: ProjectSpec) -> PipelineSchedules | None:
    found = getattr(spec.config, SECTION, None)
    return found if isinstance(found, PipelineSchedules) else None


class ProjectPipelineSchedules(FacetDefaults):
    name = "pipeline_schedules"
    kind = TargetKind.PROJECT
    write_role = Role.DEVELOPER  # create_pipeline_schedule; take_ownership needs Maintainer, GitLab says so per change [G:app/policies/project_policy.rb]
    section = SECTION
    schema = PipelineSchedules

    def wants(self, spec: ProjectSpec) -> bool:
        return _config(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedSchedules:
        config = _config(spec)
        assert config is not None
        found = api_schedules.schedules(api, project.id)
        managed = {d for d, s in config.schedules.items() if s.variables is not None}
        variables: dict[int, tuple[ScheduleVariableRecord, ...]] = {}
        for record in found:
            if record.description in managed and record.id not in variables:
                shown = api_schedules.variables(api, project.id, record.id)
                if shown is not None:
                    variables[record.id] = shown
        user = identity.token_user(api) if found and config.schedules else None
        return ObservedSchedules(
            found,
            variables,
            project.default_branch,
            user.id if user else None,
            bool(user and user.is_admin),
        )

    def diff(self, spec: ProjectSpec, observed: ObservedSchedules, options: PlanOptions) -> list[Change]:
        config = _config(spec)
        assert config is not None
        return diff_schedules(self.name, spec, config, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_schedules(api, project.id, changes)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        """The schedules and their variables (provisioner.gitlab.graphql_schedules). Drift they show is
        read again over REST before it is reported or written (not `writes_on_bulk_view`: GraphQL shows
        the ref short, and GitLab does not refuse a write to a schedule changed since it was read)."""
        return BulkReads(frozenset({SCHEDULES_READ.name})) if self.wants(spec) else BulkReads()

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> Any:
        require_maintainer(project)
        return read_schedules(api, project, notes)

    def describe(self, project: ProjectRef, current: Any) -> Description:
        return describe_schedules(SECTION, project, current)

    def secrets(self, spec: ProjectSpec) -> Mapping[str, Secret]:
        """The schedule variables' secret values its changes carry (a saved plan keeps a keyed fingerprint
        of each, see `FacetDefaults.secrets`)."""
        config = getattr(spec.config, self.section, None)
        used = dict(section_references(config.model_dump(mode="json"))) if config is not None else {}
        return {f"{self.section}: {ref}": spec.secrets[ref] for ref in used.values() if ref in spec.secrets}
