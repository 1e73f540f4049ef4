"""A small in-memory git: blobs addressed like git blobs, commits holding whole trees, branches.

Only what the REST API shows is modelled: blob ids equal `git hash-object`, `last_commit_id` is the
newest commit on the ref that changed a path, commits are atomic batches of actions (REFERENCE 2.11).
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.sandbox.state import Commit, Project, State, now_iso

ACTIONS = ("create", "delete", "move", "update", "chmod")


class CommitRejected(Exception):
    """A commit or file write GitLab would refuse with 400 and this message."""


def blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def store_blob(state: State, content: bytes) -> str:
    key = blob_id(content)
    state.blobs.setdefault(key, content)
    return key


def resolve(project: Project, ref: str | None) -> Commit | None:
    """A branch, tag, full or abbreviated (>= 7 hex) commit id, or HEAD, as GitLab accepts for `ref`."""
    repo = project.repo
    if ref is None or ref == "HEAD":
        ref = project.default_branch or ""
    commit_id = repo.branches.get(ref) or repo.tags.get(ref)
    if commit_id is None and len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref):
        commit_id = next((c for c in repo.commits if c.startswith(ref)), None)
    return repo.commits.get(commit_id) if commit_id else None


def history(project: Project, commit: Commit) -> list[Commit]:
    """First-parent history, newest first."""
    chain = [commit]
    while chain[-1].parent_ids:
        chain.append(project.repo.commits[chain[-1].parent_ids[0]])
    return chain


def ancestry(project: Project, heads: Sequence[Commit], *, first_parent: bool = False) -> list[Commit]:
    """The commits reachable from `heads`, each once, newest committed first and never a parent before
    its child among equals (`git log`'s default walk); `first_parent` follows first parents only."""
    commits = project.repo.commits
    seen = {c.id for c in heads}
    queue = [(c.created_at, -n, c) for n, c in enumerate(heads)]
    order = len(queue)
    found: list[Commit] = []
    while queue:
        queue.sort(key=lambda entry: (entry[0], entry[1]))
        _, _, commit = queue.pop()
        found.append(commit)
        for parent_id in commit.parent_ids[:1] if first_parent else commit.parent_ids:
            if parent_id not in seen:
                seen.add(parent_id)
                order += 1
                queue.append((commits[parent_id].created_at, -order, commits[parent_id]))
    return found


def last_commit_id(project: Project, commit: Commit, path: str) -> str:
    """The newest commit reachable from `commit` that changed `path`."""
    newest = commit
    for older in history(project, commit)[1:]:
        if older.tree.get(path) != newest.tree.get(path) or (path in older.executables) != (
            path in newest.executables
        ):
            return newest.id
        newest = older
    return newest.id


def merge_base(project: Project, ours: Commit, theirs: Commit) -> Commit | None:
    """The nearest common ancestor (`git merge-base`, over every parent, not only the first)."""
    seen: set[str] = set()
    frontier = [ours.id]
    while frontier:
        seen.update(frontier)
        frontier = [p for c in frontier for p in project.repo.commits[c].parent_ids if p not in seen]
    frontier = [theirs.id]
    visited: set[str] = set()
    while frontier:
        for commit_id in frontier:
            if commit_id in seen:
                return project.repo.commits[commit_id]
        visited.update(frontier)
        frontier = [p for c in frontier for p in project.repo.commits[c].parent_ids if p not in visited]
    return None


def merge_trees(base: Commit | None, ours: Commit, theirs: Commit) -> tuple[dict[str, str], list[str]] | None:
    """Both sides' changes since `base`, path by path; None when both changed a path differently.

    Coarser than git, which merges the lines inside a file: enough for what the tool proposes."""
    old = base.tree if base else {}
    tree: dict[str, str] = {}
    for path in sorted(set(old) | set(ours.tree) | set(theirs.tree)):
        b, o, t = old.get(path), ours.tree.get(path), theirs.tree.get(path)
        if o != t and b != o and b != t:
            return None
        merged = t if b == o else o
        if merged is not None:
            tree[path] = merged
    was = set(base.executables) if base else set()
    mine, their = set(ours.executables), set(theirs.executables)
    executables = {p for p in tree if ((p in their) if (p in was) == (p in mine) else (p in mine))}
    return tree, sorted(executables)


def decode_content(content: str, encoding: str | None) -> bytes:
    if encoding == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CommitRejected("content is not valid base64") from exc  # guessed wording
    return content.encode("utf-8")


@dataclass(frozen=True)
class Author:
    name: str
    email: str


def apply_actions(
    state: State, project: Project, parent: Commit | None, actions: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, str], list[str], dict[str, int]]:
    """The tree, executables and stats after `actions`, or CommitRejected; nothing stored on failure."""
    tree = dict(parent.tree) if parent else {}
    executables = set(parent.executables) if parent else set()
    added = deleted = 0
    staged: dict[str, bytes] = {}
    for action in actions:
        kind, path = str(action.get("action", "")), str(action.get("file_path") or "")
        _check_path(path)
        if kind not in ACTIONS:
            raise CommitRejected(f"Unknown action '{kind}'")  # guessed wording; Grape rejects first
        # Gitaly's words for a file that exists / is missing [G:lib/gitlab/gitaly_client/operation_service.rb
        # index_error_message]. The Commits API checks the same first, against the target branch, in
        # words of its own ("...because a file with the name `x` already exists.", "File to be updated
        # `x` does not exist.") [G:app/services/files/multi_service.rb]: not modelled, the outcome is
        # the same 400 with nothing committed.
        if kind == "create":
            if path in tree:
                raise CommitRejected("A file with this name already exists")
            if any(p.startswith(path + "/") for p in tree):
                raise CommitRejected("A directory with this name already exists")
        elif path not in tree and kind != "move":
            raise CommitRejected("A file with this name doesn't exist")
        expected = action.get("last_commit_id")
        if expected and kind in ("update", "move", "delete") and parent is not None:
            checked = str(action.get("previous_path") or path) if kind == "move" else path
            if checked in parent.tree and last_commit_id(project, parent, checked) != expected:
                raise CommitRejected(f"The file has changed since you started editing it: {checked}")
        old = state.blobs.get(tree.get(path, ""), b"") if path in tree else b""
        if kind in ("create", "update"):
            content = decode_content(str(action.get("content") or ""), action.get("encoding"))
            tree[path] = _stage(staged, content)
            a, d = line_stats(old, content)
            added, deleted = added + a, deleted + d
        elif kind == "delete":
            deleted += len(old.splitlines())
            del tree[path]
            executables.discard(path)
        elif kind == "move":
            previous = str(action.get("previous_path") or "")
            if previous not in tree:
                raise CommitRejected("A file with this name doesn't exist")
            if path in tree:
                raise CommitRejected("A file with this name already exists")
            blob = tree.pop(previous)
            if action.get("content") is not None:
                blob = _stage(staged, decode_content(str(action["content"]), action.get("encoding")))
            tree[path] = blob
            if previous in executables:
                executables.discard(previous)
                executables.add(path)
        if kind == "chmod" or (kind in ("create", "update") and "execute_filemode" in action):
            if _truthy(action.get("execute_filemode")):
                executables.add(path)
            else:
                executables.discard(path)
    for key, content in staged.items():
        state.blobs.setdefault(key, content)
    return tree, sorted(executables), {"additions": added, "deletions": deleted, "total": added + deleted}


def make_commit(
    state: State,
    project: Project,
    parents: list[str],
    tree: dict[str, str],
    executables: list[str],
    message: str,
    author: Author,
    created_at: str | None = None,
) -> Commit:
    created = created_at or now_iso()
    serial = state.next_id("commit")
    material = f"{project.id}\0{serial}\0{parents}\0{sorted(tree.items())}\0{message}\0{author}\0{created}"
    commit = Commit(
        id=hashlib.sha1(material.encode()).hexdigest(),
        tree=tree,
        parent_ids=parents,
        message=message,
        author_name=author.name,
        author_email=author.email,
        created_at=created,
        executables=executables,
    )
    project.repo.commits[commit.id] = commit
    return commit


def _stage(staged: dict[str, bytes], content: bytes) -> str:
    key = blob_id(content)
    staged[key] = content
    return key


def _check_path(path: str) -> None:
    if not path:
        raise CommitRejected("You must provide a file path")
    if ".." in path.split("/"):
        raise CommitRejected("Path cannot include directory traversal")


def line_stats(old: bytes, new: bytes) -> tuple[int, int]:
    diff = difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(),
        new.decode("utf-8", "replace").splitlines(),
        lineterm="",
        n=0,
    )
    added = deleted = 0
    for line in diff:
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            deleted += 1
    return added, deleted


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "t", "yes")
