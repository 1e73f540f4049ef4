"""Writing to a repository, shared by the Files and Commits APIs (REFERENCE 2.10, 2.11).

Checks run in the order of GitLab's `Commits::CreateService`: push permission on the target branch
(403 "You are not allowed to push into this branch", seen in GitLab's own QA specs for the Commits
API and in `Commits::CreateService#validate_permissions!`; the Commits API asks it first of all, before
`Files::MultiService` looks at the branch or the actions [G:lib/api/commits.rb authorize_push_to_branch!]),
the start ref, then the actions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.sandbox.auth import project_access, user_of
from provisioner.sandbox.http import ApiError, forbidden, message
from provisioner.sandbox.repo import CommitRejected, apply_actions, resolve
from provisioner.sandbox.routing import ApiRequest
from provisioner.sandbox.state import Commit, Project
from provisioner.sandbox.world import advance, can_push

_SHA = re.compile(r"[0-9a-f]{40}")


def check_branch_name(name: str) -> None:
    """git check-ref-format, roughly; GitLab answers 400 with this text (REFERENCE 1.2)."""
    if not valid_branch_name(name):
        raise message("The branch refname is invalid", 400)


def valid_branch_name(name: str) -> bool:
    """Gitlab::GitRefValidator.validate: not HEAD, not under refs/heads/ or refs/remotes/, and what
    `git check-ref-format` accepts (roughly) [G:lib/gitlab/git_ref_validator.rb]."""
    if name == "HEAD" or name.startswith(("refs/heads/", "refs/remotes/")):
        return False
    bad = (
        not name
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or ".." in name
        or "//" in name
        or "@{" in name
        or any(c in name for c in " ~^:?*[\\\x7f")
        or any(ord(c) < 32 for c in name)
    )
    return not bad


def write(
    req: ApiRequest,
    project: Project,
    *,
    branch: str,
    actions: Sequence[Mapping[str, Any]],
    commit_message: str,
    start_branch: str | None = None,
    start_sha: str | None = None,
    author: Mapping[str, str] | None = None,
    force: bool = False,
) -> Commit:
    user = user_of(req)
    level = project_access(req.state, user, project)
    if not can_push(level, project, branch):
        raise forbidden("You are not allowed to push into this branch")
    check_branch_name(branch)
    parent = _parent(project, branch, start_branch, start_sha, force)
    try:
        tree, executables, _stats = apply_actions(req.state, project, parent, actions)
    except CommitRejected as exc:
        raise message(str(exc), 400) from exc
    if parent is not None and tree == parent.tree and executables == parent.executables:
        # REFERENCE 2.10: an empty commit fails with a non-specific 400 (wording guessed).
        raise message("No changes were made", 400)
    who = author or {"name": user.name if user else "", "email": user.email if user else ""}
    return advance(req.state, project, branch, parent, tree, executables, commit_message, who)


def _parent(
    project: Project, branch: str, start_branch: str | None, start_sha: str | None, force: bool
) -> Commit | None:
    repo = project.repo
    if start_branch and start_sha:
        raise message("You can't pass both start_branch and start_sha", 400)
    if start_sha is not None:
        if not _SHA.fullmatch(start_sha):
            raise message(f"Invalid start_sha '{start_sha}'", 400)
        if start_sha not in repo.commits:
            raise message(f"Cannot find start_sha '{start_sha}'", 400)
    different = bool(start_sha) or bool(start_branch and start_branch != branch)
    if different and branch in repo.branches and not force:
        raise message(
            f"A branch called '{branch}' already exists. Switch to that branch in order to make changes", 400
        )
    if not repo.commits:
        return None  # the first commit of an empty repository creates the branch
    if start_sha is not None:
        return repo.commits[start_sha]
    ref = start_branch or branch
    if ref not in repo.branches:
        raise message("You can only create or edit files when you are on a branch", 400)
    return resolve(project, ref)


def require_readable_ref(project: Project, ref: str | None) -> Commit:
    commit = resolve(project, ref)
    if commit is None:
        raise ApiError(404, {"message": "404 Commit Not Found"})
    return commit
