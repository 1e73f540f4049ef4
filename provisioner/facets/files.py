"""Blueprint scaffolding (`blueprint`, `blueprint_vars`, `blueprint_enforce`): render, compare by hash, one
commit or one merge request.

Observe renders the blueprint and learns each path's hash on the default branch with `HEAD` (nothing is
downloaded), then reads only what the decision or the plan's diffs need (the lock file, files to merge or
overwrite) and, when something differs, the facet's open merge request. Diff turns the blueprint's
`FilesPlan` into one change per file, with a unified diff. Apply writes every change of the project in one
commit through the Commits API, with `last_commit_id` on each update so that a push since the plan makes the
commit fail rather than overwrite it: to the default branch when nothing waits for a person and GitLab
takes it there (a token that may not push to it is refused whole, before anything is written); otherwise
to the branch `provisioner/<blueprint>` behind one merge request, both updated in place on later runs; a
draft when a file is the team's own (adoption) or needs fixing (conflict markers, a merge that failed its
checks). Nothing is ever unprotected, and the branch is never rebuilt over someone
else's commits. A merge request that already holds exactly the wanted changes makes them AWAITING: drift
for `check`, nothing for `apply`. An enforced pipeline also watches `ci_config_path` (files_pipeline).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint import (
    LOCK_PATH,
    TRAILER,
    WHOLE_FILE,
    FileAction,
    FileDecision,
    FilesPlan,
    Lock,
    LockedFile,
    Rendering,
    commit_message,
    contents_needed,
    paths_to_observe,
    plan_files,
    read_lock,
    recorded_policy,
    render,
    sha256_text,
    unified_diff,
)
from provisioner.blueprint import proposal as proposals
from provisioner.blueprint.component import ComponentRef, include_rendering
from provisioner.blueprint.proposal import proposal_id
from provisioner.errors import GitLabError, ProvisionerError
from provisioner.facets import files_component as component_mode
from provisioner.facets import files_pipeline as pipeline
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.facets.describing import read_part
from provisioner.facets.files_current import Scaffolding, describe_scaffolding, read_scaffolding
from provisioner.facets.protection import release_tags_protected
from provisioner.gitlab import graphql_files, repository
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_proposals import PROPOSALS
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.repository import Branch, FileHead, MergeRequest
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

BRANCH_PREFIX = "provisioner/"
log = logging.getLogger(__name__)


class MergeConflicts(ProvisionerError):
    """A file needs a person (conflict markers, a merge that failed its checks): proposed, not applied."""


class BranchNotOurs(ProvisionerError):
    """The proposal branch holds someone else's commits: rebuilding it would throw them away."""


@dataclass(frozen=True)
class FilesObserved:
    rendering: Rendering
    branch: str  # the default branch, or the one the first commit of an empty repository creates
    empty: bool
    heads: Mapping[str, FileHead | None]  # every path of `paths_to_observe`; None: missing
    lock: Lock | None
    texts: Mapping[str, str]  # the current contents that were read
    merge_request: MergeRequest | None = None  # the facet's open merge request, looked for when needed
    ci_config_path: str | None = None  # as GitLab says, when the pipeline is enforced; else not looked at
    released: tuple[str, ...] | None = None  # component mode: the component project's tags

    @property
    def hashes(self) -> dict[str, str | None]:
        return {path: head.sha256 if head else None for path, head in self.heads.items()}

    def plan(self) -> FilesPlan:
        return plan_files(self.rendering, self.lock, self.hashes, self.texts)


@dataclass(frozen=True)
class _Target:
    """Where the project's changes go; shared by every change of one plan."""

    branch: str
    empty: bool
    blueprint: str
    version: str
    merge_request: MergeRequest | None


@dataclass(frozen=True)
class _Write:
    decision: FileDecision
    last_commit_id: str | None
    target: _Target
    current: str | None = None  # the file as read for the plan, for a merge request's description


def merge_request_branch(blueprint: str) -> str:
    return f"{BRANCH_PREFIX}{blueprint}"


def rendering_of(spec: ProjectSpec) -> Rendering:
    """The project's rendering of its blueprint; in component mode, with the component's include in
    place of the pipeline (provisioner/blueprint/component.py)."""
    config = spec.config
    assert config.blueprint is not None
    rendering = render(
        config.blueprint,
        config.blueprint_vars,
        project_path=spec.path,
        enforce=config.blueprint_enforce,
        release_tags_protected=release_tags_protected(spec),
    )
    if config.blueprint_component is None:
        return rendering
    return include_rendering(rendering, component_ref(spec))


def component_ref(spec: ProjectSpec) -> ComponentRef:
    component = spec.config.blueprint_component
    assert component is not None and spec.config.blueprint is not None
    return ComponentRef(component.project, spec.config.blueprint, component.version)


def observe_files(api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> FilesObserved:
    return observe_rendering(api, project, spec, rendering_of(spec))


def observe_rendering(
    api: GitLabApi, project: ProjectRef, spec: ProjectSpec, rendering: Rendering
) -> FilesObserved:
    """What the project holds of `rendering`: hashes first, then only the contents the plan needs."""
    paths = paths_to_observe(rendering)
    ci_config_path = pipeline.watched_ci_config_path(project, spec, rendering)
    if project.empty_repo or not project.default_branch:
        branch = spec.config.settings.default_branch or project.default_branch or "main"
        return FilesObserved(rendering, branch, True, dict.fromkeys(paths), None, {}, None, ci_config_path)
    branch = project.default_branch
    heads = repository.file_heads(api, project.id, branch, paths, default_branch=True)
    hashes = {path: head.sha256 if head else None for path, head in heads.items()}
    lock = None
    if hashes[LOCK_PATH] is not None:
        lock = read_lock(repository.read_in_bulk(api, project.id, LOCK_PATH))  # parsing is cheap
    if hashes[LOCK_PATH] is not None and lock is None:
        lock = _lock_as_expected(rendering, hashes)  # writing it is not: only to save a download
        if sha256_text(lock.to_text()) != hashes[LOCK_PATH]:
            lock = read_lock(repository.read_text(api, project.id, LOCK_PATH, branch))
    needed = contents_needed(rendering, lock, hashes, for_display=True)
    texts = {
        path: repository.read_text(api, project.id, path, branch, default_branch=True) for path in needed
    }
    observed = FilesObserved(rendering, branch, False, heads, lock, texts, None, ci_config_path)
    if not observed.plan().changes:
        return observed
    source = merge_request_branch(rendering.blueprint)
    found = repository.open_merge_request(api, project.id, source, branch)
    return FilesObserved(rendering, branch, False, heads, lock, texts, found, ci_config_path)


def _lock_as_expected(rendering: Rendering, hashes: Mapping[str, str | None]) -> Lock:
    """The lock as the tool writes it when every present file was reconciled with this rendering. When
    the lock's hash is this one's, it *is* this one: a run with nothing to do reads nothing but hashes."""
    files = {
        r.path: LockedFile(
            recorded_policy(r.policy), sha, r.sha256, r.text if r.policy in WHOLE_FILE else None
        )
        for r in rendering.files
        if (sha := hashes.get(r.path)) is not None and r.policy != "include"  # as update.py's lock
    }
    return Lock(rendering.blueprint, rendering.version, dict(rendering.variables), files)


def diff_files(facet: str, observed: FilesObserved) -> list[Change]:
    plan = observed.plan()
    mr = observed.merge_request
    awaiting = mr is not None and mr.sha is not None and mr.proposal == proposal_id(plan.changes)
    if awaiting and plan.needs_person and mr is not None:
        # Not merely waiting: a person must fix the proposal first. Every run says so and fails.
        raise MergeConflicts(
            f"merge request !{mr.iid} ({mr.web_url}) holds what a person must fix before it is merged "
            "(conflicts between the blueprint and the team's edits, or a merged file that failed its "
            "checks; its description says which): fix it there, then merge it"
        )
    target = _Target(observed.branch, observed.empty, plan.blueprint, plan.version, mr)
    changes = pipeline.ci_config_path_changes(facet, observed.ci_config_path)
    for decision in plan.files:
        if decision.locally_modified and not decision.is_change:
            note = {"note": "edited by the team since the tool last wrote it; the edits are kept"}
            changes.append(Change(facet, f"file {decision.path}", Action.UNMANAGED, after=note))
        if not decision.is_change:
            continue
        after: dict[str, Any] = {"policy": decision.policy, "reason": decision.reason}
        after |= _PROPOSED.get(decision.action, {})
        if awaiting and mr is not None:
            if plan.adopting:
                after["reason"] = f"awaiting adoption: {decision.reason}"
            after["merge_request"] = mr.web_url
            action = Action.AWAITING
        else:
            action = Action.CREATE if decision.action is FileAction.CREATE else Action.UPDATE
        head = observed.heads.get(decision.path)
        changes.append(
            Change(
                facet,
                f"file {decision.path}",
                action,
                after=after,
                detail=_shown_diff(decision, observed.texts),
                payload=_Write(
                    decision,
                    head.last_commit_id if head else None,
                    target,
                    observed.texts.get(decision.path),
                ),
            )
        )
    return changes


_PROPOSED: dict[FileAction, dict[str, str]] = {
    FileAction.ADOPT: {"adoption": "proposed in a draft merge request; replaced once a person merges it"},
    FileAction.CONFLICT: {"conflict": "proposed with conflict markers in a merge request; resolve it there"},
    FileAction.INVALID: {"invalid": "proposed in a draft merge request with the reason; fix it there"},
}


def _shown_diff(decision: FileDecision, texts: Mapping[str, str]) -> str | None:
    if decision.path == LOCK_PATH:
        return None  # the tool's own record: its diff says nothing a person acts on
    return unified_diff(decision.path, texts.get(decision.path), decision.content) or None


def apply_files(api: GitLabApi, project: ProjectRef, changes: Sequence[Change]) -> None:
    if any(isinstance(c.payload, pipeline.PipelinePath) for c in changes):
        pipeline.restore_ci_config_path(api, project)
    writes: list[_Write] = [c.payload for c in changes if isinstance(c.payload, _Write)]
    if writes:
        _commit_files(api, project.id, writes)


def _commit_files(api: GitLabApi, pid: int, writes: Sequence[_Write]) -> None:
    target = writes[0].target
    decisions = tuple(w.decision for w in writes)
    plan = FilesPlan(target.blueprint, target.version, decisions)
    guards = _guards(api, pid, target.branch, writes)
    actions = [_action(w.decision, guards.get(w.decision.path)) for w in writes]
    message = commit_message(plan)
    if target.empty:
        repository.commit(api, pid, branch=target.branch, message=message, actions=actions)
        return
    if not plan.needs_person and not plan.adopting:
        # Straight to the default branch: GitLab refuses a token that may not push there before it looks
        # at anything (`PushRefused`), which is what its branch's `can_push` would have said; then propose.
        try:
            repository.commit(
                api, pid, branch=target.branch, message=message, actions=actions, default_branch=True
            )
        except repository.PushRefused:
            pass
        else:
            if target.merge_request is not None:
                _close_obsolete(api, pid, target.merge_request)
            return
    source = merge_request_branch(target.blueprint)
    _refuse_to_rebuild_over_others(source, repository.branch(api, pid, source), target.merge_request)
    repository.commit(api, pid, branch=source, message=message, actions=actions, start_branch=target.branch)
    currents = {w.decision.path: w.current for w in writes if w.current is not None}
    mr = repository.propose(
        api,
        pid,
        source=source,
        target=target.branch,
        title=proposals.title(plan),
        description=proposals.description(
            plan, target.branch, currents, repository.proposal_marker(proposal_id(plan.changes))
        ),
        existing=target.merge_request.iid if target.merge_request is not None else None,
    )
    if plan.needs_person:
        paths = ", ".join(d.path for d in decisions if d.action.needs_person)
        raise MergeConflicts(
            f"{paths}: the blueprint's changes, merged with the team's edits, need a person (conflict "
            f"markers, or a file that failed its checks); proposed in draft merge request !{mr.iid} "
            f"({mr.web_url}) with the reason: fix it there, then merge it"
        )


def _refuse_to_rebuild_over_others(source: str, branch: Branch | None, mr: MergeRequest | None) -> None:
    """The branch is rebuilt from the default branch (`force`): only while its head is the tool's own
    commit. A team that pushed there (a conflict resolved, a job of its own added to an adoption) keeps
    its work: nothing is written until the merge request is merged or the branch deleted.
    GitLab cannot tell who pushed a commit, only who wrote it: the trailer of the tool's commit message
    is the mark (a commit amended with its message kept would pass for the tool's)."""
    if branch is None or f"\n{TRAILER}: " in branch.head_message:
        return
    title = branch.head_message.strip().splitlines()[0] if branch.head_message.strip() else ""
    where = f"merge request !{mr.iid} ({mr.web_url})" if mr is not None else "its branch"
    raise BranchNotOurs(
        f"{source} has commits that are not the tool's (the newest: {branch.commit_id[:11]} {title!r}): "
        f"it is not rebuilt with the blueprint's newer changes, so that they are kept. Merge {where}, or "
        "delete the branch, and the next run proposes what is left"
    )


def _guards(api: GitLabApi, pid: int, branch: str, writes: Sequence[_Write]) -> dict[str, str]:
    """`last_commit_id` per updated file. Hashes read in bulk may come without one: then the file is looked
    at now, and must still be what the plan saw, or nothing is committed."""
    guards = {w.decision.path: w.last_commit_id for w in writes if w.last_commit_id}
    unknown = [w for w in writes if w.decision.action is not FileAction.CREATE and not w.last_commit_id]
    if not unknown:
        return guards
    heads = repository.file_heads(api, pid, branch, [w.decision.path for w in unknown], default_branch=False)
    for write in unknown:
        head = heads[write.decision.path]
        if head is None or head.sha256 != write.decision.current_sha256 or not head.last_commit_id:
            raise repository.StaleCommit(branch, f"{write.decision.path} changed")
        guards[write.decision.path] = head.last_commit_id
    return guards


def _action(decision: FileDecision, last_commit_id: str | None) -> dict[str, Any]:
    kind = "create" if decision.action is FileAction.CREATE else "update"
    action: dict[str, Any] = {"action": kind, "file_path": decision.path, "content": decision.content}
    if kind == "update" and last_commit_id:
        action["last_commit_id"] = last_commit_id
    return action


def _close_obsolete(api: GitLabApi, pid: int, mr: MergeRequest) -> None:
    """The commit made the facet's merge request obsolete: merged later, it would undo newer changes. The
    commit is what matters; a refusal to close is logged, not fatal."""
    try:
        repository.close_merge_request(api, pid, mr.iid)
    except GitLabError as exc:
        log.warning("could not close the obsolete merge request !%s: %s", mr.iid, exc)


class ProjectFiles(FacetDefaults):
    name = "files"
    kind = TargetKind.PROJECT
    section = "blueprint"  # with blueprint_vars: plain fields of the project's entry, no schema of their own
    # push_code, or create_merge_request_in where pushing is not allowed [G:app/policies/project_policy.rb]
    write_role = Role.DEVELOPER
    # The bulk view (GraphQL blobs at the default branch) shows what the commit depends on, each file's
    # content, as the Files API does; it leaves out what it cannot show whole (binary, cut short: read
    # by HEAD). A commit made on a stale view is refused whole: a create of a file that exists, an
    # update of one that is gone [G:app/services/files/multi_service.rb validate_create,
    # validate_file_exists; lib/gitlab/gitaly_client/operation_service.rb index_error_message], an
    # update whose file moved since (`last_commit_id`, looked up by HEAD first: `_guards`).
    writes_on_bulk_view = True

    def wants(self, spec: ProjectSpec) -> bool:
        return spec.config.blueprint is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> FilesObserved:
        observed = observe_files(api, project, spec)
        if spec.config.blueprint_component is None:
            return observed
        return dataclasses.replace(observed, released=component_mode.released_versions(api, spec))

    def diff(self, spec: ProjectSpec, observed: FilesObserved, options: PlanOptions) -> list[Change]:
        notices = component_mode.version_notices(self.name, spec, observed.released)
        return diff_files(self.name, observed) + notices

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_files(api, project, changes)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        if spec.config.blueprint is None:
            return BulkReads()
        rendering = rendering_of(spec)
        # Seeds are decided by their hash alone; managed files need their text only where they differ
        # from the rendering. The lock is read whenever the team edited any file since the tool last
        # wrote it (it is not rewritten for that), and nothing local says what it holds.
        texts: dict[str, str | None] = {f.path: f.sha256 for f in rendering.files if f.policy != "seed"}
        texts[LOCK_PATH] = None
        # The facet's open merge request, looked for when the files differ (graphql_proposals).
        reads = frozenset({graphql_files.BLOBS.name, PROPOSALS.name})
        proposal = (merge_request_branch(rendering.blueprint),)
        return BulkReads(reads, paths_to_observe(rendering), texts, proposal)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> Scaffolding | None:
        def pending(spec: ProjectSpec) -> int:
            changes = self.diff(spec, self.observe(api, project, spec), PlanOptions())
            return sum(1 for c in changes if c.is_pending)

        return read_part(notes, "blueprint", lambda: read_scaffolding(api, project, notes, pending))

    def describe(self, project: ProjectRef, current: Scaffolding | None) -> Description:
        return describe_scaffolding(current)
