"""Blueprint scaffolding (`blueprint`, `blueprint_vars`): render, compare by hash, one commit or one merge request.

Observe renders the blueprint and learns each path's hash on the default branch with `HEAD` (nothing is
downloaded), then reads only what the decision or the plan's diffs need (the lock file, files to merge or
overwrite) and, when something differs, the facet's open merge request. Diff turns the blueprint's
`FilesPlan` into one change per file, with a unified diff. Apply writes every change of the project in one
commit through the Commits API, with `last_commit_id` on each update so that a push since the plan makes the
commit fail rather than overwrite it: to the default branch when the token may push there; otherwise, or
when a file conflicts, to the branch `provisioner/<blueprint>` behind one merge request, both updated in
place on later runs. Nothing is ever unprotected. A merge request that already holds exactly the wanted
changes makes them AWAITING: drift for `check`, nothing for `apply`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint import (
    LOCK_PATH,
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
    render,
    sha256_text,
    unified_diff,
)
from provisioner.errors import GitLabError, ProvisionerError
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.facets.describing import read_part
from provisioner.facets.files_current import Scaffolding, describe_scaffolding, read_scaffolding
from provisioner.gitlab import graphql_files, repository
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.repository import FileHead, MergeRequest
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, TargetKind

BRANCH_PREFIX = "provisioner/"
log = logging.getLogger(__name__)


class MergeConflicts(ProvisionerError):
    """The blueprint's changes conflict with the team's edits: proposed in a merge request, not applied."""


@dataclass(frozen=True)
class FilesObserved:
    rendering: Rendering
    branch: str  # the default branch, or the one the first commit of an empty repository creates
    empty: bool
    heads: Mapping[str, FileHead | None]  # every path of `paths_to_observe`; None: missing
    lock: Lock | None
    texts: Mapping[str, str]  # the current contents that were read
    merge_request: MergeRequest | None = None  # the facet's open merge request, looked for when needed

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


def proposal_id(decisions: Sequence[FileDecision]) -> str:
    """What a set of changes proposes, as a hash: equal for equal contents, whatever the order."""
    lines = sorted(f"{d.action.value} {d.path} {sha256_text(d.content or '')}" for d in decisions)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def merge_request_branch(blueprint: str) -> str:
    return f"{BRANCH_PREFIX}{blueprint}"


def observe_files(api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> FilesObserved:
    assert spec.config.blueprint is not None
    rendering = render(spec.config.blueprint, spec.config.blueprint_vars, project_path=spec.path)
    paths = paths_to_observe(rendering)
    if project.empty_repo or not project.default_branch:
        branch = spec.config.settings.default_branch or project.default_branch or "main"
        return FilesObserved(rendering, branch, True, dict.fromkeys(paths), None, {})
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
    observed = FilesObserved(rendering, branch, False, heads, lock, texts)
    if not observed.plan().changes:
        return observed
    source = merge_request_branch(rendering.blueprint)
    found = repository.open_merge_request(api, project.id, source, branch)
    return FilesObserved(rendering, branch, False, heads, lock, texts, found)


def _lock_as_expected(rendering: Rendering, hashes: Mapping[str, str | None]) -> Lock:
    """The lock as the tool writes it when every present file was reconciled with this rendering. When
    the lock's hash is this one's, it *is* this one: a run with nothing to do reads nothing but hashes."""
    files = {
        r.path: LockedFile(r.policy, sha, r.sha256, r.text if r.policy == "managed" else None)
        for r in rendering.files
        if (sha := hashes.get(r.path)) is not None
    }
    return Lock(rendering.blueprint, rendering.version, dict(rendering.variables), files)


def diff_files(facet: str, observed: FilesObserved) -> list[Change]:
    plan = observed.plan()
    mr = observed.merge_request
    awaiting = mr is not None and mr.sha is not None and mr.proposal == proposal_id(plan.changes)
    if awaiting and plan.conflicted and mr is not None:
        # Not merely waiting: a person must resolve markers first. Every run says so and fails.
        raise MergeConflicts(
            f"merge request !{mr.iid} ({mr.web_url}) holds unresolved conflicts between the blueprint "
            "and the team's edits: resolve them there, then merge it"
        )
    target = _Target(observed.branch, observed.empty, plan.blueprint, plan.version, mr)
    changes: list[Change] = []
    for decision in plan.files:
        if decision.locally_modified and not decision.is_change:
            note = {"note": "edited by the team since the tool last wrote it; the edits are kept"}
            changes.append(Change(facet, f"file {decision.path}", Action.UNMANAGED, after=note))
        if not decision.is_change:
            continue
        after: dict[str, Any] = {"policy": decision.policy, "reason": decision.reason}
        if decision.action is FileAction.CONFLICT:
            after["conflict"] = "proposed with conflict markers in a merge request; resolve it there"
        if awaiting and mr is not None:
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
                payload=_Write(decision, head.last_commit_id if head else None, target),
            )
        )
    return changes


def _shown_diff(decision: FileDecision, texts: Mapping[str, str]) -> str | None:
    if decision.path == LOCK_PATH:
        return None  # the tool's own record: its diff says nothing a person acts on
    return unified_diff(decision.path, texts.get(decision.path), decision.content) or None


def apply_files(api: GitLabApi, pid: int, changes: Sequence[Change]) -> None:
    writes: list[_Write] = [c.payload for c in changes]
    target = writes[0].target
    decisions = tuple(w.decision for w in writes)
    plan = FilesPlan(target.blueprint, target.version, decisions)
    guards = _guards(api, pid, target.branch, writes)
    actions = [_action(w.decision, guards.get(w.decision.path)) for w in writes]
    message = commit_message(plan)
    if target.empty:
        repository.commit(api, pid, branch=target.branch, message=message, actions=actions)
        return
    if not plan.conflicted:
        default = repository.branch(api, pid, target.branch)
        if default is not None and default.can_push:
            repository.commit(api, pid, branch=target.branch, message=message, actions=actions)
            if target.merge_request is not None:
                _close_obsolete(api, pid, target.merge_request)
            return
    source = merge_request_branch(target.blueprint)
    repository.commit(api, pid, branch=source, message=message, actions=actions, start_branch=target.branch)
    mr = repository.propose(
        api,
        pid,
        source=source,
        target=target.branch,
        title=_title(plan),
        description=_description(plan, target.branch),
        existing=target.merge_request.iid if target.merge_request is not None else None,
    )
    if plan.conflicted:
        paths = ", ".join(d.path for d in decisions if d.action is FileAction.CONFLICT)
        raise MergeConflicts(
            f"{paths}: the blueprint's changes conflict with the team's edits; proposed with conflict "
            f"markers in merge request !{mr.iid} ({mr.web_url}): resolve them there, then merge it"
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


def _title(plan: FilesPlan) -> str:
    title = f"Apply blueprint {plan.blueprint} {plan.version}"
    return f"Draft: {title} (conflicts to resolve)" if plan.conflicted else title


def _description(plan: FilesPlan, branch: str) -> str:
    conflicted = [d.path for d in plan.changes if d.action is FileAction.CONFLICT]
    why = "some files conflict" if conflicted else f"`{branch}` does not take pushes from the tool's token"
    lines = [
        f"The blueprint **{plan.blueprint} {plan.version}** changes these files; proposed here because {why}.",
        "",
        *(f"- {d.action.value} `{d.path}`: {d.reason}" for d in plan.changes),
        "",
    ]
    if conflicted:
        lines += [
            "These files hold conflict markers (`<<<<<<< blueprint` ... `>>>>>>> current`) where the "
            "blueprint's changes meet the team's edits: resolve them on this branch, mark the merge request "
            f"ready, and merge it into `{branch}`: " + ", ".join(f"`{p}`" for p in conflicted),
            "",
        ]
    lines += [
        "provisioner updates this merge request in place when what it proposes changes (another blueprint "
        f"version or variables, new edits on `{branch}`): this branch then gets a new commit made from "
        f"`{branch}`, which replaces pushes to it.",
        "",
        repository.proposal_marker(proposal_id(plan.changes)),
        "",
    ]
    return "\n".join(lines)


class ProjectFiles(FacetDefaults):
    name = "files"
    kind = TargetKind.PROJECT
    section = "blueprint"  # with blueprint_vars: plain fields of the project's entry, no schema of their own

    def wants(self, spec: ProjectSpec) -> bool:
        return spec.config.blueprint is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> FilesObserved:
        return observe_files(api, project, spec)

    def diff(self, spec: ProjectSpec, observed: FilesObserved, options: PlanOptions) -> list[Change]:
        return diff_files(self.name, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_files(api, project.id, changes)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        config = spec.config
        if config.blueprint is None:
            return BulkReads()
        rendering = render(config.blueprint, config.blueprint_vars, project_path=spec.path)
        # Seeds are decided by their hash alone; managed files need their text only where they differ
        # from the rendering. The lock is read whenever the team edited any file since the tool last
        # wrote it (it is not rewritten for that), and nothing local says what it holds.
        texts: dict[str, str | None] = {f.path: f.sha256 for f in rendering.files if f.policy != "seed"}
        texts[LOCK_PATH] = None
        return BulkReads(frozenset({graphql_files.BLOBS.name}), paths_to_observe(rendering), texts)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> Scaffolding | None:
        def pending(spec: ProjectSpec) -> int:
            changes = self.diff(spec, self.observe(api, project, spec), PlanOptions())
            return sum(1 for c in changes if c.is_pending)

        return read_part(notes, "blueprint", lambda: read_scaffolding(api, project, notes, pending))

    def describe(self, project: ProjectRef, current: Scaffolding | None) -> Description:
        return describe_scaffolding(current)
