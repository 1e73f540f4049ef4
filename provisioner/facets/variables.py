"""CI/CD variables of a project (`variables`) and of a group (`group_variables`).

Identity is key plus environment scope. Values are compared in memory and never shown: a change to
a sensitive variable reads `value: (sensitive)`. Hidden variables read back `value: null`, so they are
compared on metadata only and their value is rewritten only with --rotate. GitLab cannot hide or
unhide an existing variable, so such a change replaces it (delete, then create). Before GitLab 17.4
there are no hidden variables: one the inventory hides is said to need 17.4 and left alone (never
written readable instead).

Metadata the inventory leaves out (a description a team wrote in GitLab, `protected`, ...) is GitLab's:
compared and written only when the variable is created, kept as it is by an update or a replacement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    PlanOptions,
    Requirement,
    lacking,
    unsupported_keys,
)
from provisioner.facets.variables_entry import Values, note, settle, variables_entry
from provisioner.gitlab import graphql_reads
from provisioner.gitlab import variables as api_variables
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.variables import VariableRecord
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Variables
from provisioner.inventory.spec import GroupSpec, ProjectSpec, ResolvedVariable
from provisioner.model import SENSITIVE, Action, Change, GroupRef, ProjectRef, Role, TargetKind
from provisioner.secrets import Secret, Unresolved

_METADATA = ("variable_type", "protected", "masked", "raw", "description")
_FLAGS = ("variable_type", "protected", "masked", "hidden", "raw")
NOT_SHOWN = "(not shown)"
"""In place of GitLab's value of a variable whose value the inventory states: a report shows what the
inventory states, never a value GitLab holds that the inventory does not."""
HIDDEN = "rest:Variable.hidden"


@dataclass(frozen=True)
class ObservedVariables:
    records: tuple[VariableRecord, ...]
    server: Version | None = None  # None: not known, everything is taken to exist


@dataclass(frozen=True)
class _Plan:
    """The payload of one variable change: what apply needs, in memory only."""

    want: ResolvedVariable | None
    have: VariableRecord | None


def diff_variables(
    facet: str,
    desired: Iterable[ResolvedVariable],
    observed: Iterable[VariableRecord],
    *,
    prune: bool,
    options: PlanOptions,
    left_alone: Collection[tuple[str, str]] = (),
) -> list[Change]:
    """`left_alone`: identities the inventory names but this GitLab cannot store as asked: neither
    compared nor reported as unmanaged."""
    have = {v.identity: v for v in observed if v.identity not in left_alone}
    changes: list[Change] = []
    wanted = {v.identity: v for v in desired if v.identity not in left_alone}
    for identity, want in sorted(wanted.items()):
        changes.extend(_compare(facet, want, have.get(identity), options))
    for identity, record in sorted(have.items()):
        if identity in wanted:
            continue
        action = Action.DELETE if prune else Action.UNMANAGED
        changes.append(
            Change(
                facet,
                _target(record.key, record.environment_scope),
                action,
                before=_flags(record),
                payload=_Plan(None, record),
            )
        )
    return changes


def _compare(
    facet: str, want: ResolvedVariable, have: VariableRecord | None, options: PlanOptions
) -> list[Change]:
    target = _target(want.key, want.environment_scope)
    if have is None:
        if want.value is None:
            return [
                Change(
                    facet, target, Action.UNMANAGED, after={"note": "value_unmanaged, but missing on GitLab"}
                )
            ]
        return [Change(facet, target, Action.CREATE, after=_shown(want), payload=_Plan(want, None))]
    if "hidden" in want.given and want.hidden != have.hidden:
        # GitLab cannot hide or unhide an existing variable: replace it (needs a value to write).
        if want.value is None:
            return [
                Change(
                    facet,
                    target,
                    Action.UNMANAGED,
                    before=_flags(have),
                    after={"note": "hidden differs; give a value to replace it"},
                )
            ]
        return [
            Change(
                facet,
                target,
                Action.REPLACE,
                before=_flags(have),
                after=_shown(want),
                payload=_Plan(want, have),
            )
        ]
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in _METADATA:
        if name in want.given and getattr(want, name) != getattr(have, name):
            before[name], after[name] = getattr(have, name), getattr(want, name)
    if _value_differs(want, have, options):
        sensitive = want.sensitive or have.masked or have.hidden
        # GitLab's value is not the inventory's to show: only what the inventory states itself is.
        before["value"] = SENSITIVE if sensitive else NOT_SHOWN
        after["value"] = SENSITIVE if sensitive else want.value
    changes = []
    if after:
        unshown = {"value": have.value} if "value" in before and have.value is not None else {}
        changes.append(
            Change(
                facet,
                target,
                Action.UPDATE,
                before=before,
                after=after,
                payload=_Plan(want, have),
                unshown=unshown,
            )
        )
    if isinstance(want.value, Unresolved) and not have.hidden:
        unverified = {"note": f"value not verified: {want.value.reason}"}
        changes.append(Change(facet, target, Action.UNVERIFIED, after=unverified))
    return changes


def _value_differs(want: ResolvedVariable, have: VariableRecord, options: PlanOptions) -> bool:
    if want.value is None or isinstance(want.value, Unresolved):
        return False  # unmanaged, or not given to this (read-only) run
    if have.hidden:
        return options.rotate
    value = want.value.reveal() if isinstance(want.value, Secret) else want.value
    return value != have.value


def _target(key: str, scope: str) -> str:
    return f"variable {key}" if scope == "*" else f"variable {key} [{scope}]"


def _shown(v: ResolvedVariable) -> dict[str, Any]:
    """What the inventory wants, display-safe: its metadata, and its value when it states a literal."""
    shown: dict[str, Any] = {name: getattr(v, name) for name in _METADATA}
    shown["hidden"] = v.hidden
    if v.value is not None:
        shown["value"] = SENSITIVE if v.sensitive else v.value
    return shown


def hidden_requirements(section: str, desired: Iterable[ResolvedVariable]) -> tuple[Requirement, ...]:
    return tuple(
        Requirement(_target(v.key, v.environment_scope), _key(section, v), HIDDEN)
        for v in desired
        if v.hidden
    )


def _key(section: str, v: ResolvedVariable) -> str:
    scope = "" if v.environment_scope == "*" else f"[{v.environment_scope}]"
    return f"{section}.{v.key}{scope}.hidden"


def diff_versioned(
    facet: str,
    section: str,
    desired: Sequence[ResolvedVariable],
    observed: ObservedVariables,
    *,
    prune: bool,
    options: PlanOptions,
) -> list[Change]:
    """What this GitLab cannot store (hidden variables before 17.4) said once, the rest compared."""
    asked = hidden_requirements(section, desired)
    cannot = unsupported_keys(asked, observed.server)
    left_alone = {v.identity for v in desired if _key(section, v) in cannot}
    changes = diff_variables(
        facet, desired, observed.records, prune=prune, options=options, left_alone=left_alone
    )
    return [*lacking(facet, asked, observed.server), *changes]


def _flags(record: VariableRecord) -> dict[str, Any]:
    """A variable as GitLab has it, for reports: its flags only. Its value and description are the
    team's (a report that any job can download must not carry them)."""
    return {name: getattr(record, name) for name in _FLAGS}


def apply_variables(
    api: GitLabApi, owner: str, changes: Sequence[Change], cache_id: int | None = None
) -> None:
    for change in changes:
        plan: _Plan = change.payload
        if change.action in (Action.DELETE, Action.REPLACE) and plan.have is not None:
            api_variables.delete(api, owner, plan.have.key, plan.have.environment_scope, cache_id)
        if change.action in (Action.CREATE, Action.REPLACE) and plan.want is not None:
            api_variables.create(api, owner, _body(_kept(plan.want, plan.have), creating=True), cache_id)
        elif change.action is Action.UPDATE and plan.want is not None:
            data = _body(plan.want, creating=False)
            api_variables.update(api, owner, plan.want.key, plan.want.environment_scope, data, cache_id)


def _kept(want: ResolvedVariable, have: VariableRecord | None) -> ResolvedVariable:
    """What a replacement writes: the inventory's metadata, and GitLab's where the inventory says none."""
    if have is None:
        return want
    return replace(want, **{name: getattr(have, name) for name in _METADATA if name not in want.given})


class SecretNotGiven(ProvisionerError):
    """A write needs a secret value the run was not given (only read-only runs may lack one)."""


def _body(want: ResolvedVariable, *, creating: bool) -> dict[str, Any]:
    if isinstance(want.value, Unresolved):
        raise SecretNotGiven(f"variable {want.key}: {want.value.reason}; nothing written")
    data = api_variables.body(
        want.key,
        want.value,
        environment_scope=want.environment_scope,
        variable_type=want.variable_type,
        masked=want.masked,
        hidden=want.hidden,
        protected=want.protected,
        raw=want.raw,
        description=want.description,
        creating=creating,
    )
    if creating:
        return data
    # An update sends only what the inventory says: GitLab keeps every attribute a PUT leaves out
    # [G:lib/api/ci/variables.rb, `declared_params(include_missing: false)`].
    return {name: value for name, value in data.items() if name not in _METADATA or name in want.given}


def secret_values(section: str, variables: Iterable[ResolvedVariable]) -> dict[str, Secret]:
    """By field (`variables.KEY`, `variables.KEY [scope]`): the values that are secrets."""
    return {
        f"{section}.{v.key}" + ("" if v.environment_scope == "*" else f" [{v.environment_scope}]"): v.value
        for v in variables
        if isinstance(v.value, Secret)
    }


def describe_variables(section: str, records: Sequence[VariableRecord] | None) -> Description:
    out = Description()
    secrets: dict[str, Values] = {}
    entry = variables_entry(records or (), out.notes, secrets, section=section)
    if entry:
        out.entry[section] = entry
    for key, written in entry.items():
        comment = note(written)
        if comment:
            out.comments[(section, key)] = comment
    # Secret values decide names and whether equal entries may be shared by a group; never written.
    out.private = {(section, key): values for key, values in secrets.items()}
    return out


class ProjectVariables(FacetDefaults):
    name = "variables"
    kind = TargetKind.PROJECT
    section = "variables"
    # admin_cicd_variables [G:app/policies/project_policy.rb]
    write_role = Role.MAINTAINER
    schema = Variables
    features = (HIDDEN,)
    # GraphQL's ciVariables and GET /variables list the same `project.variables`, every field the
    # comparison uses ([G:app/graphql/resolvers/ci/variables_resolver.rb, lib/api/ci/variables.rb];
    # `hidden` in both since 17.4: gitlab_versions); a longer list than a page is left to REST. On a
    # stale view a create of a variable that exists is refused (key unique per environment scope
    # [G:app/models/ci/variable.rb]; then read again and reported if it differs), an update or delete
    # of one that is gone answers 404; an update overwrites only what the inventory sets, as it would
    # on a fresh REST read.
    writes_on_bulk_view = True

    def wants(self, spec: ProjectSpec) -> bool:
        return bool(spec.variables) or spec.config.variables.prune

    def requirements(self, spec: ProjectSpec) -> tuple[Requirement, ...]:
        return hidden_requirements(self.section, spec.variables)

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedVariables:
        require_maintainer(project)  # GitLab answers a bare 403 otherwise
        records = api_variables.list_variables(api, f"/projects/{project.id}", cache_id=project.id)
        return ObservedVariables(tuple(records), api.server())

    def diff(self, spec: ProjectSpec, observed: ObservedVariables, options: PlanOptions) -> list[Change]:
        return diff_versioned(
            self.name,
            self.section,
            spec.variables,
            observed,
            prune=spec.config.variables.prune,
            options=options,
        )

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_variables(api, f"/projects/{project.id}", changes, cache_id=project.id)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        return BulkReads(frozenset({graphql_reads.VARIABLES.name})) if self.wants(spec) else BulkReads()

    def secrets(self, spec: ProjectSpec) -> dict[str, Secret]:
        return secret_values(self.section, spec.variables)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> list[VariableRecord]:
        return api_variables.list_variables(api, f"/projects/{project.id}")

    def describe(self, project: ProjectRef, current: list[VariableRecord] | None) -> Description:
        return describe_variables(self.section, current)

    def settle(self, described: Mapping[str, Description]) -> None:
        settle(self.section, described)


class GroupVariables(FacetDefaults):
    """Variables set on a group itself: its `group_variables` (its other keys are its projects')."""

    name = "group_variables"
    kind = TargetKind.GROUP
    section = "group_variables"
    # admin_cicd_variables, which a group gives its Owners [G:app/policies/group_policy.rb]
    write_role = Role.OWNER
    schema = Variables
    features = (HIDDEN,)

    def wants(self, spec: GroupSpec) -> bool:
        return bool(spec.variables) or spec.prune

    def requirements(self, spec: GroupSpec) -> tuple[Requirement, ...]:
        return hidden_requirements(self.section, spec.variables)

    def observe(self, api: GitLabApi, group: GroupRef, spec: GroupSpec) -> ObservedVariables:
        return ObservedVariables(
            tuple(api_variables.list_variables(api, f"/groups/{group.id}")), api.server()
        )

    def diff(self, spec: GroupSpec, observed: ObservedVariables, options: PlanOptions) -> list[Change]:
        return diff_versioned(
            self.name, self.section, spec.variables, observed, prune=spec.prune, options=options
        )

    def apply(self, api: GitLabApi, group: GroupRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        apply_variables(api, f"/groups/{group.id}", changes)

    def secrets(self, spec: GroupSpec) -> dict[str, Secret]:
        return secret_values(self.section, spec.variables)

    def read_current(self, api: GitLabApi, group: GroupRef, notes: list[str]) -> list[VariableRecord]:
        return api_variables.list_variables(api, f"/groups/{group.id}")

    def describe(self, group: GroupRef, current: list[VariableRecord] | None) -> Description:
        return describe_variables(self.section, current)

    def settle(self, described: Mapping[str, Description]) -> None:
        settle(self.section, described)
