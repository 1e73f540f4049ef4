"""What a project's files need, decided from hashes first and from content only where hashes cannot tell.

The files facet works in three steps, each a pure function here; it does the I/O in between:

1. `paths_to_observe(rendering)`: learn each path's `content_sha256` (HEAD, no download) and read the lock.
2. `contents_needed(rendering, lock, hashes)`: the few files whose content the decision needs.
3. `plan_files(rendering, lock, hashes, contents)`: per file nothing / create / update / adopt / conflict /
   invalid, plus the lock file's own decision. Every change of a project goes into one commit, or one
   merge request when a file is adopted, conflicts or fails its checks (`checks`); `commit_message` names
   the blueprint and its version in a trailer.

A whole file (`managed`, `enforced`) that exists but was never rendered here is the team's own: replacing
it is an adoption, which a person approves. A merged result is checked before it is proposed for commit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from provisioner.blueprint.checks import conflict_marker_line, problem_in
from provisioner.blueprint.include import apply_include
from provisioner.blueprint.lock import LOCK_PATH, Lock, LockedFile, parse_lock
from provisioner.blueprint.manifest_schema import WHOLE_FILE, Policy
from provisioner.blueprint.merge import merge_three_way
from provisioner.blueprint.policies import recorded_policy
from provisioner.blueprint.render import RenderedFile, Rendering, sha256_text
from provisioner.blueprint.tomlkeys import UnreadableFile, apply_owned_keys

TRAILER = "Provisioner-Blueprint"

Hashes = Mapping[str, str | None]
"""Path -> sha256 of the current content (GitLab's X-Gitlab-Content-Sha256); None: the file is missing."""


class FileAction(enum.StrEnum):
    NONE = "none"
    CREATE = "create"
    UPDATE = "update"
    ADOPT = "adopt"  # replace the team's own file: only through a draft merge request, never directly
    CONFLICT = "conflict"  # content carries conflict markers: propose it in a merge request, exit non-zero
    INVALID = "invalid"  # a merged result that failed its checks: the same, with the reason

    @property
    def needs_person(self) -> bool:
        """Proposed with something left for a person to fix: the run fails until it is merged."""
        return self in (FileAction.CONFLICT, FileAction.INVALID)


@dataclass(frozen=True)
class FileDecision:
    path: str
    policy: Policy | Literal["lock"]
    action: FileAction
    reason: str  # why, in the user's words
    content: str | None = None  # the new text, for every action but NONE
    current_sha256: str | None = None
    locally_modified: bool = False  # a managed file the team edited since the tool last wrote it

    @property
    def is_change(self) -> bool:
        return self.action is not FileAction.NONE


@dataclass(frozen=True)
class FilesPlan:
    blueprint: str
    version: str
    files: tuple[FileDecision, ...]  # the rendered files in manifest order, then the lock file

    @property
    def changes(self) -> tuple[FileDecision, ...]:
        return tuple(d for d in self.files if d.is_change)

    @property
    def lock(self) -> FileDecision:
        """The lock file's own decision (also the last of `files`)."""
        return self.files[-1]

    @property
    def conflicted(self) -> bool:
        return any(d.action is FileAction.CONFLICT for d in self.files)

    @property
    def needs_person(self) -> bool:
        """Some file needs a person: conflict markers to resolve, or a merge that failed its checks."""
        return any(d.action.needs_person for d in self.files)

    @property
    def adopting(self) -> bool:
        """Some file is the team's own, to be replaced only once a person merges the proposal."""
        return any(d.action is FileAction.ADOPT for d in self.files)


class ContentMissing(LookupError):
    """plan_files was not given a content that contents_needed asked for (a bug in the caller)."""


def paths_to_observe(rendering: Rendering) -> tuple[str, ...]:
    return (*rendering.paths, LOCK_PATH)


def read_lock(text: str | None) -> Lock | None:
    """The lock from the file's text (None when the project has none). Raises LockError when unreadable."""
    return None if text is None else parse_lock(text)


def contents_needed(
    rendering: Rendering, lock: Lock | None, hashes: Hashes, *, for_display: bool = False
) -> tuple[str, ...]:
    """Paths whose current content `plan_files` needs. With `for_display`, also every file it would
    overwrite, so that the plan can show a diff."""
    needed = []
    for rendered in rendering.files:
        decision = _decide(rendered, lock, hashes, None)
        if decision is None or (
            for_display and decision.action is not FileAction.NONE and hashes.get(rendered.path)
        ):
            needed.append(rendered.path)
    return tuple(needed)


def plan_files(
    rendering: Rendering, lock: Lock | None, hashes: Hashes, contents: Mapping[str, str]
) -> FilesPlan:
    """Per rendered file, then the lock file: what to write. Raises UnreadableFile for a managed-keys file
    that does not parse, or a managed file that holds conflict markers on the default branch (report it
    for the project; nothing of it should be written)."""
    decisions = []
    for rendered in rendering.files:
        decision = _decide(rendered, lock, hashes, contents)
        if decision is None:
            raise ContentMissing(rendered.path)
        decisions.append(decision)
    decisions.append(_lock_decision(rendering, lock, hashes, decisions))
    return FilesPlan(rendering.blueprint, rendering.version, tuple(decisions))


def commit_message(plan: FilesPlan) -> str:
    lines = [f"{d.action.value} {d.path}: {d.reason}" for d in plan.changes]
    return (
        f"Apply blueprint {plan.blueprint} {plan.version}\n\n"
        + "\n".join(lines)
        + f"\n\n{TRAILER}: {plan.blueprint} {plan.version}\n"
    )


def _decide(
    rendered: RenderedFile, lock: Lock | None, hashes: Hashes, contents: Mapping[str, str] | None
) -> FileDecision | None:
    """The decision for one file, or None when it needs the file's content and `contents` lacks it."""
    sha = hashes.get(rendered.path)
    locked = lock.files.get(rendered.path) if lock is not None else None
    text = contents.get(rendered.path) if contents is not None else None

    def decision(
        action: FileAction, reason: str, content: str | None = None, edited: bool = False
    ) -> FileDecision:
        return FileDecision(rendered.path, rendered.policy, action, reason, content, sha, edited)

    if sha is not None and rendered.policy == "seed":
        return decision(FileAction.NONE, "exists (seed files are never overwritten)")
    if sha is None:
        if rendered.policy == "seed":
            new_with = rendered.rule.only_with_new
            if locked is not None:
                return decision(FileAction.NONE, "removed after it was planted; not planted again")
            if new_with is not None and hashes.get(new_with) is not None:
                return decision(FileAction.NONE, f"sample file, planted only with a new {new_with}")
        return decision(FileAction.CREATE, "missing", rendered.text)
    if sha == rendered.sha256:
        return decision(FileAction.NONE, "up to date")
    if rendered.policy == "include":
        return _include_decision(rendered, locked, sha, text, decision)

    if rendered.policy == "managed-keys":
        if locked is not None and sha == locked.sha256 and locked.rendered_sha256 == rendered.sha256:
            return decision(FileAction.NONE, "unchanged since the last run")
        if text is None:
            return None
        enforced = apply_owned_keys(rendered.path, text, rendered.text, rendered.rule)
        if enforced == text:
            return decision(FileAction.NONE, "tool-owned keys up to date")
        if problem := problem_in(rendered.path, enforced):
            return decision(
                FileAction.INVALID, f"with the tool-owned keys set, it is broken: {problem}", enforced
            )
        return decision(FileAction.UPDATE, "tool-owned keys differ", enforced)

    base = locked.base if locked is not None else None
    if locked is None or base is None:
        return decision(
            FileAction.ADOPT, "the project's own file, not rendered by the tool before", rendered.text
        )
    untouched = sha == locked.sha256 == sha256_text(base)
    if untouched:
        return decision(FileAction.UPDATE, "blueprint changed", rendered.text)  # no merge needed
    if rendered.policy == "enforced":
        return decision(
            FileAction.UPDATE, "enforced: differs from the rendering; restored", rendered.text, True
        )
    if text is None:
        return None
    if (line := conflict_marker_line(text)) is not None:
        # Someone merged a conflict without resolving it: that is not an edit to keep, nor a base to merge.
        raise UnreadableFile(
            rendered.path, f"holds a conflict marker at line {line} on the default branch: resolve it there"
        )
    merged = merge_three_way(
        base,
        rendered.text,
        text,
        ours_label=f"blueprint {rendered.path}",
        theirs_label=f"current {rendered.path}",
    )
    if merged.conflicted:
        return decision(
            FileAction.CONFLICT, "the blueprint's changes conflict with the team's edits", merged.text, True
        )
    if merged.text == text:
        return decision(FileAction.NONE, "edited by the team; nothing to merge", edited=True)
    if problem := problem_in(rendered.path, merged.text):
        return decision(
            FileAction.INVALID, f"merged with the team's edits, it is broken: {problem}", merged.text, True
        )
    return decision(FileAction.UPDATE, "blueprint changed; merged with the team's edits", merged.text, True)


def _include_decision(
    rendered: RenderedFile,
    locked: LockedFile | None,
    sha: str,
    text: str | None,
    decision: Callable[..., FileDecision],
) -> FileDecision | None:
    """Component mode's pipeline: the component's include entry is the tool's, the rest the team's."""
    if text is None:
        return None
    edit = apply_include(rendered.path, text, rendered.text)
    if edit is None:
        inline = (
            locked is not None
            and locked.base is not None
            and sha == locked.sha256 == sha256_text(locked.base)
        )
        if inline:  # the tool's inline pipeline, as it wrote it: nothing of the team's is lost
            return decision(FileAction.UPDATE, "the pipeline moves into the component", rendered.text)
        return decision(
            FileAction.ADOPT,
            "a pipeline the tool did not write (or one the team edited): the component's include replaces "
            "it once a person merges it; add what should stay below the include",
            rendered.text,
        )
    if edit.text == text:
        return decision(FileAction.NONE, "the component's include is up to date")
    if problem := problem_in(rendered.path, edit.text):
        return decision(
            FileAction.INVALID, f"with the component's include set, it is broken: {problem}", edit.text
        )
    before, after = edit.before.rpartition("@")[2], edit.after.rpartition("@")[2]
    change = f"version {before} → {after}" if before != after else "its inputs change"
    return decision(FileAction.UPDATE, f"the component's include: {change}", edit.text)


def _lock_decision(
    rendering: Rendering, lock: Lock | None, hashes: Hashes, decisions: list[FileDecision]
) -> FileDecision:
    files: dict[str, LockedFile] = {}
    for rendered, decision in zip(rendering.files, decisions, strict=True):
        if rendered.policy == "include":
            continue  # known by its entry, not by its hash: a new version then changes nothing else
        after = sha256_text(decision.content) if decision.content is not None else decision.current_sha256
        known = lock.files.get(rendered.path) if lock is not None else None
        if after is None and known is not None:
            after = known.sha256  # a removed seed stays known, so that it is not planted again
        if after is None:
            continue
        base = rendered.text if rendered.policy in WHOLE_FILE else None
        files[rendered.path] = LockedFile(recorded_policy(rendered.policy), after, rendered.sha256, base)
    new = Lock(rendering.blueprint, rendering.version, dict(rendering.variables), files)
    sha = hashes.get(LOCK_PATH)
    if (
        lock is not None
        and sha is not None
        and lock.same_rendering(new)
        and not any(d.is_change for d in decisions)
    ):
        return FileDecision(LOCK_PATH, "lock", FileAction.NONE, "up to date", current_sha256=sha)
    text = new.to_text()
    if sha == sha256_text(text):
        return FileDecision(LOCK_PATH, "lock", FileAction.NONE, "up to date", current_sha256=sha)
    action = FileAction.CREATE if sha is None else FileAction.UPDATE
    return FileDecision(
        LOCK_PATH, "lock", action, f"records blueprint {rendering.blueprint} {rendering.version}", text, sha
    )
