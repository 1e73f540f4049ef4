"""Operations on the world that both the API and the seeds perform: groups, projects, members,
protected branches, commits."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.sandbox.project_attrs import POLICY_DEFAULT, default_settings
from provisioner.sandbox.repo import Author, apply_actions, make_commit, resolve
from provisioner.sandbox.state import (
    DEVELOPER,
    MAINTAINER,
    NO_ONE,
    AccessLevel,
    Commit,
    Member,
    Namespace,
    Project,
    ProtectedBranch,
    State,
    User,
    now_iso,
)

README = "# {name}\n"


def slug(name: str) -> str:
    """GitLab derives a path from a name: lower case, runs of other characters become one dash."""
    return re.sub(r"[^a-z0-9_.]+", "-", name.lower()).strip("-") or "project"


def new_group(
    state: State,
    name: str,
    path: str,
    *,
    parent_id: int | None = None,
    visibility: str = "private",
    description: str = "",
) -> Namespace:
    ns = Namespace(
        id=state.next_id("namespace"),
        name=name,
        path=path,
        kind="group",
        created_at=now_iso(),
        parent_id=parent_id,
        visibility=visibility,
        description=description,
    )
    state.add_namespace(ns)
    return ns


def add_member(target: Namespace | Project, user: User, level: int, expires_at: str | None = None) -> Member:
    member = Member(user.id, level, now_iso(), expires_at)
    target.members[user.id] = member
    return member


def new_project(
    state: State,
    creator: User,
    namespace: Namespace,
    name: str,
    path: str,
    *,
    settings: Mapping[str, Any] | None = None,
    visibility: str = "private",
    description: str | None = None,
    topics: Sequence[str] = (),
    initialize_with_readme: bool = False,
    default_branch: str = "main",
) -> Project:
    now = now_iso()
    project = Project(
        id=state.next_id("project"),
        name=name,
        path=path,
        namespace_id=namespace.id,
        creator_id=creator.id,
        created_at=now,
        updated_at=now,
        settings=default_settings() | dict(settings or {}),
        container_policy=dict(POLICY_DEFAULT),
        description=description,
        visibility=visibility,
        topics=list(topics),
    )
    state.add_project(project)
    if initialize_with_readme:
        commit_files(
            state, project, creator, default_branch, "Initial commit", {"README.md": README.format(name=name)}
        )
        protect_branch(state, project, default_branch, push=MAINTAINER, merge=MAINTAINER)
    return project


def commit_files(
    state: State, project: Project, author: User, branch: str, message: str, files: Mapping[str, str]
) -> Commit:
    """Create or update files on a branch in one commit (seeds and project initialisation)."""
    parent = resolve(project, branch) if branch in project.repo.branches else None
    tree = parent.tree if parent else {}
    actions = [
        {"action": "update" if path in tree else "create", "file_path": path, "content": content}
        for path, content in files.items()
    ]
    new_tree, executables, _ = apply_actions(state, project, parent, actions)
    return advance(state, project, branch, parent, new_tree, executables, message, author)


def advance(
    state: State,
    project: Project,
    branch: str,
    parent: Commit | None,
    tree: dict[str, str],
    executables: list[str],
    message: str,
    author: User | Mapping[str, str],
) -> Commit:
    """Record a commit on `branch`; the first commit of a repository makes its branch the default."""
    who = (
        Author(author.name, author.email)
        if isinstance(author, User)
        else Author(str(author["name"]), str(author["email"]))
    )
    commit = make_commit(state, project, [parent.id] if parent else [], tree, executables, message, who)
    if not project.repo.branches:
        project.default_branch = branch
    project.repo.branches[branch] = commit.id
    project.updated_at = commit.created_at
    return commit


def protect_branch(
    state: State,
    project: Project,
    name: str,
    *,
    push: int = MAINTAINER,
    merge: int = MAINTAINER,
    unprotect: int = MAINTAINER,
    allow_force_push: bool = False,
) -> ProtectedBranch:
    rule = ProtectedBranch(
        id=state.next_id("protected_branch"),
        name=name,
        push=[AccessLevel(state.next_id("access_level"), push)],
        merge=[AccessLevel(state.next_id("access_level"), merge)],
        unprotect=[AccessLevel(state.next_id("access_level"), unprotect)],
        allow_force_push=allow_force_push,
    )
    project.protected_branches.append(rule)
    return rule


def matching_rules(project: Project, branch: str) -> list[ProtectedBranch]:
    """Protected-branch rules that cover `branch` (exact names and `*` wildcards)."""
    return [rule for rule in project.protected_branches if _wildcard(rule.name).fullmatch(branch)]


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def can_push(level: int, project: Project, branch: str) -> bool:
    """GitLab's `can_push_to_branch?` for a user with `level` on the project (admins included)."""
    rules = matching_rules(project, branch)
    if not rules:
        return level >= DEVELOPER
    allowed = [a.access_level for rule in rules for a in rule.push]
    # "No one" (0) refuses everybody, administrators too; otherwise the lowest allowed level wins.
    return any(a != NO_ONE and level >= a for a in allowed)


def can_merge(level: int, project: Project, branch: str) -> bool:
    rules = matching_rules(project, branch)
    if not rules:
        return level >= DEVELOPER
    return any(a.access_level != NO_ONE and level >= a.access_level for rule in rules for a in rule.merge)


def touch(project: Project) -> None:
    project.updated_at = now_iso()
