"""CI/CD variables of a project (`variables`) and of a group (`group_variables`).

Identity is key plus environment scope. Values are compared in memory and never shown: a change to
a sensitive variable reads `value: (sensitive)`. Hidden variables read back `value: null`, so they are
compared on metadata only and their value is rewritten only with --rotate. GitLab cannot hide or
unhide an existing variable, so such a change replaces it (delete, then create). Before GitLab 17.4
there are no hidden variables: one the inventory hides is said to need 17.4 and left alone (never
written readable instead).

Metadata the inventory leaves out (a description a team wrote in GitLab, `protected`, ...) is GitLab's:
compared and written only when the variable is created, kept as it is by an update or a replacement.
The comparison is pure and lives in `facets.variables_diff`; this module reads, writes and describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    PlanOptions,
    Requirement,
)
from provisioner.facets.variables_diff import (
    HIDDEN,
    METADATA,
    ObservedVariables,
    VariablePlan,
    diff_versioned,
    hidden_requirements,
)
from provisioner.facets.variables_entry import Values, note, settle, variables_entry
from provisioner.gitlab import graphql_reads
from provisioner.gitlab import variables as api_variables
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.variables import VariableRecord
from provisioner.inventory.schema import Variables
from provisioner.inventory.spec import GroupSpec, ProjectSpec, ResolvedVariable
from provisioner.model import Action, Change, GroupRef, ProjectRef, Role, TargetKind
from provisioner.secrets import Secret, Unresolved


def apply_variables(
    api: GitLabApi, owner: str, changes: Sequence[Change], cache_id: int | None = None
) -> None:
    for change in changes:
        plan: VariablePlan = change.payload
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
    return replace(want, **{name: getattr(have, name) for name in METADATA if name not in want.given})


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
    return {name: value for name, value in data.items() if name not in METADATA or name in want.given}


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
