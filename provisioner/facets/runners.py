"""Runners of a project: the shared/group runner toggles, assigned runners, runners the tool creates.

- Toggles are project attributes (read from the project entity, written with PUT /projects/:id).
- `assign` selects existing project runners by id, description or tags; each selector must match
  exactly one runner, or the facet stops with one problem naming the candidates.
- `create` entries: runners the tool creates and keeps (see `provisioner.facets.runners_created`).
- Assigned runners the inventory does not name are reported, and unassigned only with `prune`.
  GitLab refuses to unassign a runner from the project that owns it; such a runner stays a notice.
  With `prune` the assigned runners are read over REST, never from bulk reads: GraphQL leaves out the
  runners the token may not read, and the owner project of a runner it may read but whose owner it
  may not (`ownerProject: null`) [G:app/graphql/types/ci/runner_type.rb `authorize :read_runner`],
  so a runner to unassign could go unseen, or pass for this project's own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from provisioner.errors import Forbidden, ProvisionerError, Unobservable
from provisioner.facets import issued
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    PlanOptions,
    TargetAttributes,
)
from provisioner.facets.runners_created import apply_created, created_changes, default_keyring, runner_name
from provisioner.gitlab import graphql_reads, projects
from provisioner.gitlab import runners as api_runners
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.runners import RunnerRecord, Verification
from provisioner.inventory.schema import Runners, RunnerSelector
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

log = logging.getLogger(__name__)

_TOGGLES = ("shared_runners_enabled", "group_runners_enabled")


class RunnerSelectionError(ProvisionerError):
    """An `assign` selector matches no runner, or several."""


@dataclass(frozen=True)
class Selection:
    selector: RunnerSelector
    matches: tuple[RunnerRecord, ...]


@dataclass(frozen=True)
class ObservedRunners:
    project_id: int
    toggles: Mapping[str, Any]
    assigned: tuple[RunnerRecord, ...] = ()
    selections: tuple[Selection, ...] = ()
    lost_tokens: frozenset[str] = frozenset()  # descriptions whose store still holds the pending mark
    stored_tokens: Mapping[str, Verification] = field(default_factory=dict)
    """By description: what GitLab says of the token the store holds (absent: none could be read)."""


# payloads: what apply needs, in memory only (the toggles: `TargetAttributes`)
@dataclass(frozen=True)
class _Assign:
    runner_id: int


@dataclass(frozen=True)
class _Unassign:
    runner: RunnerRecord


def observe_runners(api: GitLabApi, project: ProjectRef, config: Runners) -> ObservedRunners:
    require_maintainer(project)
    toggles: dict[str, Any] = {}
    for name in _TOGGLES:
        if getattr(config, name) is None:
            continue
        if name not in project.attributes:
            raise Unobservable(f"cannot read {name}: GitLab shows it only to Maintainers")
        toggles[name] = project.attributes[name]
    if not (config.assign or config.create or config.prune):
        return ObservedRunners(project.id, toggles)
    assigned = tuple(api_runners.project_runners(api, project.id))
    selections = tuple(Selection(s, _matches(api, s, assigned)) for s in config.assign)
    return ObservedRunners(project.id, toggles, assigned, selections)


def _matches(
    api: GitLabApi, selector: RunnerSelector, assigned: Sequence[RunnerRecord]
) -> tuple[RunnerRecord, ...]:
    if selector.id is not None:
        found = next((r for r in assigned if r.id == selector.id), None) or api_runners.runner(
            api, selector.id
        )
        candidates = [found] if found is not None else []
    else:
        # the server filters on tags; the assigned runners carry theirs
        tags = selector.tags or []
        candidates = [r for r in assigned if set(tags) <= set(r.tags)]
        known = {r.id for r in candidates}
        candidates += [r for r in api_runners.available_runners(api, tags) if r.id not in known]
    return tuple(
        r
        for r in candidates
        if r.runner_type == api_runners.PROJECT_TYPE
        and (selector.description is None or r.description == selector.description)
        and (selector.id is None or not selector.tags or set(selector.tags) <= set(r.tags))
    )


def diff_runners(facet: str, project_path: str, config: Runners, observed: ObservedRunners) -> list[Change]:
    changes = _toggle_changes(facet, config, observed)
    assigned = {r.id: r for r in observed.assigned}
    managed: set[int] = set()
    unmatched = [_describe_selection(s) for s in observed.selections if len(s.matches) != 1]
    if unmatched:
        raise RunnerSelectionError("; ".join(unmatched))
    for want in config.create:
        same = sorted((r for r in observed.assigned if r.description == want.description), key=lambda r: r.id)
        managed.update(r.id for r in same)
        changes += created_changes(
            facet,
            project_path,
            want,
            same,
            lost_token=want.description in observed.lost_tokens,
            stored=observed.stored_tokens.get(want.description),
        )
    for selection in observed.selections:
        chosen = selection.matches[0]
        managed.add(chosen.id)
        if chosen.id not in assigned:
            changes.append(
                Change(
                    facet,
                    f"runner assignment {runner_name(chosen)}",
                    Action.CREATE,
                    after={"runner": runner_name(chosen)},
                    payload=_Assign(chosen.id),
                )
            )
    for runner in observed.assigned:
        if runner.id not in managed:
            changes.append(_unmanaged(facet, runner, observed.project_id, prune=config.prune))
    return changes


def _toggle_changes(facet: str, config: Runners, observed: ObservedRunners) -> list[Change]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, have in observed.toggles.items():
        want = getattr(config, name)
        if bool(have) != want:
            before[name], after[name] = bool(have), want
    if not after:
        return []
    return [
        Change(facet, "runner settings", Action.UPDATE, before, after, payload=TargetAttributes(dict(after)))
    ]


def _unmanaged(facet: str, runner: RunnerRecord, project_id: int, *, prune: bool) -> Change:
    # GitLab refuses to unassign a runner from its owner project, the first one it lists.
    owned_here = runner.project_ids is not None and runner.project_ids[:1] == (project_id,)
    if prune and not owned_here:
        return Change(
            facet,
            f"runner assignment {runner_name(runner)}",
            Action.DELETE,
            before={"runner": runner_name(runner)},
            payload=_Unassign(runner),
        )
    note = "this project owns it, so it cannot be unassigned; delete it in GitLab" if prune else None
    return Change(
        facet, f"runner {runner_name(runner)}", Action.UNMANAGED, after={"note": note} if note else None
    )


def _describe_selection(selection: Selection) -> str:
    s = selection.selector
    parts = [
        f"id {s.id}" if s.id is not None else "",
        f'description "{s.description}"' if s.description else "",
    ]
    parts.append(f"tags {sorted(s.tags)}" if s.tags else "")
    wanted = ", ".join(p for p in parts if p)
    if not selection.matches:
        return f"no project runner this token can see matches {wanted}"
    found = ", ".join(runner_name(r) for r in selection.matches)
    return f"{len(selection.matches)} runners match {wanted} ({found}); select one by id"


def apply_runners(api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
    for change in changes:
        plan = change.payload
        if isinstance(plan, TargetAttributes):  # called on its own: the engine writes these itself
            projects.update(api, project.id, plan.attributes)
        elif apply_created(api, project.id, change, ctx):
            continue
        elif isinstance(plan, _Assign):
            api_runners.assign(api, project.id, plan.runner_id)
        elif isinstance(plan, _Unassign):
            _unassign(api, project.id, plan.runner)


def _unassign(api: GitLabApi, project_id: int, runner: RunnerRecord) -> None:
    try:
        api_runners.unassign(api, project_id, runner.id)
    except Forbidden as exc:
        raise RunnerSelectionError(
            f"runner {runner_name(runner)} cannot be unassigned ({exc.message}); "
            "delete it in GitLab, or name it under runners.create"
        ) from exc


def describe_runners(project: ProjectRef, assigned: Sequence[RunnerRecord] | None) -> Description:
    """The toggles, and each assigned project runner by id (its description in a comment)."""
    out = Description()
    attributes = project.attributes
    toggles = {name: bool(attributes[name]) for name in _TOGGLES if attributes.get(name) is not None}
    mine = [r for r in assigned or () if r.runner_type == api_runners.PROJECT_TYPE]
    config = Runners.model_validate({**toggles, "assign": [RunnerSelector(id=r.id) for r in mine]})
    entry = config.model_dump(mode="json", exclude_defaults=True)
    if entry:
        out.entry["runners"] = entry
    for index, runner in enumerate(mine):
        if runner.description:
            out.comments[("runners", "assign", str(index))] = f"runner {json.dumps(runner.description)}"
    return out


class ProjectRunners(FacetDefaults):
    name = "runners"
    kind = TargetKind.PROJECT
    section = "runners"
    write_role = Role.MAINTAINER  # admin_runner, create_runner [G:app/policies/project_policy.rb]
    schema = Runners
    # On the bulk view, which is read only without `prune` (`bulk_reads`). (1) GraphQL lists what REST
    # lists: both take Ci::Runner.owned_or_instance_wide(project) [G:app/finders/ci/runners_finder.rb,
    # lib/api/ci/runners.rb `get ':id/runners'`], and of the nodes, authorised one by one with
    # read_runner, a Maintainer of the project (write_role) reads every project runner assigned to it
    # (`is_project_runner & maintainer_in_any_associated_projects`), the runners it owns, which the tool
    # creates, with their maintenance note (update_runner: `maintainer_in_owner_scope`)
    # [G:app/policies/ci/runner_policy.rb, app/graphql/types/ci/runner_type.rb]; only `ownerProject`
    # may be null, which prune alone reads. (2) POST /user/runners deduplicates nothing: on a view gone
    # stale (a runner of that description created since the bulk read) it makes a second runner, as it
    # does on a REST read gone stale a moment later -- the bulk view only widens the window. That is
    # bounded and heals: the run keeps the token of the one it made; the next run keeps the runner whose
    # token the store holds and removes a marked duplicate nobody holds the token of, or reports one a
    # person made (runners_created: `_duplicate`). The removal reads the runner just before it deletes
    # (gitlab.runners.delete_unclaimed), not on this view. An assignment made since is refused by
    # GitLab (Ci::RunnerProject `validates :runner_id, uniqueness: { scope: :project_id }`
    # [G:app/models/ci/runner_project.rb]); an update by runner id writes the inventory's values, or
    # 404s on a runner gone.
    writes_on_bulk_view = True

    def wants(self, spec: ProjectSpec) -> bool:
        config = spec.config.runners
        return config is not None and (
            any(getattr(config, name) is not None for name in _TOGGLES)
            or bool(config.assign or config.create or config.prune)
        )

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedRunners:
        assert spec.config.runners is not None
        observed = observe_runners(api, project, spec.config.runners)
        lost: set[str] = set()
        stored: dict[str, Verification] = {}
        existing = {r.description for r in observed.assigned}
        for want in spec.config.runners.create:
            keyring = default_keyring(spec.path, want.description)
            if issued.pending(spec.inventory_dir, want.token, keyring):
                lost.add(want.description)
            elif want.description in existing:
                token = issued.stored(spec.inventory_dir, want.token, keyring)
                if token is not None:
                    stored[want.description] = api_runners.verify(api, token)
        return replace(observed, lost_tokens=frozenset(lost), stored_tokens=stored)

    def diff(self, spec: ProjectSpec, observed: ObservedRunners, options: PlanOptions) -> list[Change]:
        assert spec.config.runners is not None
        return diff_runners(self.name, spec.path, spec.config.runners, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_runners(api, project, changes, ctx)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        config = spec.config.runners
        if config is not None and (config.assign or config.create) and not config.prune:
            return BulkReads(frozenset({graphql_reads.RUNNERS.name}))
        return BulkReads()

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> list[RunnerRecord]:
        return api_runners.project_runners(api, project.id)

    def describe(self, project: ProjectRef, current: list[RunnerRecord] | None) -> Description:
        return describe_runners(project, current)
