"""Commits: create with several actions, atomically (REFERENCE 2.11); list and read."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import can_read_code, find_project, user_of
from provisioner.sandbox.filters import between
from provisioner.sandbox.http import forbidden, json_response, not_found, origin, paginate, param_error
from provisioner.sandbox.repo import ACTIONS, ancestry, line_stats, resolve
from provisioner.sandbox.repo_write import write
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import Commit, Project, State
from provisioner.sandbox.times import commit_time

ROUTES = Routes()


def commit_json(state: State, project: Project, commit: Commit, base: str) -> dict[str, Any]:
    title = commit.message.split("\n", 1)[0]
    return {
        "id": commit.id,
        "short_id": commit.id[:11],
        "created_at": commit_time(commit.created_at),
        "parent_ids": list(commit.parent_ids),
        "title": title,
        "message": commit.message,
        "author_name": commit.author_name,
        "author_email": commit.author_email,
        "authored_date": commit_time(commit.created_at),
        "committer_name": commit.author_name,
        "committer_email": commit.author_email,
        "committed_date": commit_time(commit.created_at),
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{base}/{state.project_full_path(project)}/-/commit/{commit.id}",
    }


def readable_project(req: ApiRequest) -> Project:
    project = find_project(req)
    if not can_read_code(req.state, user_of(req), project):
        raise forbidden()
    return project


@ROUTES.post("/projects/:id/repository/commits")
async def create_commit(req: ApiRequest) -> Response:
    project = find_project(req)
    p = req.params
    p.require("branch", "commit_message", "actions")
    actions = p.raw("actions")
    if not isinstance(actions, list) or not actions:
        raise param_error("actions is invalid" if not isinstance(actions, list) else "actions is empty")
    for index, action in enumerate(actions):
        if not isinstance(action, dict):
            raise param_error("actions is invalid")
        if action.get("action") not in ACTIONS:
            raise param_error(f"actions[{index}][action] does not have a valid value")
        if not action.get("file_path"):
            raise param_error(f"actions[{index}][file_path] is missing")
    author = None
    if p.str("author_email") or p.str("author_name"):
        user = user_of(req)
        author = {
            "name": p.str("author_name") or (user.name if user else ""),
            "email": p.str("author_email") or (user.email if user else ""),
        }
    parent_before = resolve(project, p.str("branch")) if p.str("branch") in project.repo.branches else None
    commit = write(
        req,
        project,
        branch=p.str("branch"),
        actions=actions,
        commit_message=p.str("commit_message"),
        start_branch=p.str("start_branch"),
        start_sha=p.str("start_sha"),
        author=author,
        force=bool(p.bool("force", False)),
    )
    data = commit_json(req.state, project, commit, origin(req.http))
    if p.bool("stats", True):
        data["stats"] = _stats(req.state, parent_before or _first_parent(project, commit), commit)
    data["status"] = None
    data["project_id"] = project.id
    data["last_pipeline"] = None
    return json_response(data, 201)


def _first_parent(project: Project, commit: Commit) -> Commit | None:
    return project.repo.commits.get(commit.parent_ids[0]) if commit.parent_ids else None


def _stats(state: State, parent: Commit | None, commit: Commit) -> dict[str, int]:
    added = deleted = 0
    old_tree = parent.tree if parent else {}
    for path in set(old_tree) | set(commit.tree):
        if old_tree.get(path) != commit.tree.get(path):
            a, d = line_stats(
                state.blobs.get(old_tree.get(path, ""), b""), state.blobs.get(commit.tree.get(path, ""), b"")
            )
            added, deleted = added + a, deleted + d
    return {"additions": added, "deletions": deleted, "total": added + deleted}


@ROUTES.get("/projects/:id/repository/commits", anonymous=True)
async def list_commits(req: ApiRequest) -> Response:
    """`git log` as Gitaly runs it for the Commits API [G:lib/api/commits.rb, app/models/repository.rb
    `commits`]: every ancestor of `ref_name` (the default branch), newest first, or of every branch and
    tag with `all`; `first_parent` follows first parents only; `since`/`until` on the committed date;
    `author` a regular expression on "Name <email>"; `path` the commits that changed it; `with_stats`."""
    project = readable_project(req)
    p = req.params
    p.enum("order", ("default", "topo"), "default")  # newest first is already a topological order here
    if p.bool("all", False):
        heads = [
            project.repo.commits[c] for c in (*project.repo.branches.values(), *project.repo.tags.values())
        ]
    else:
        head = resolve(project, p.str("ref_name"))
        heads = [head] if head else []
    commits = ancestry(project, heads, first_parent=bool(p.bool("first_parent", False)))
    if (path := p.str("path")) is not None:
        commits = [c for c in commits if _touches(project, c, path)]
    commits = between(p, commits, lambda c: c.created_at, "since", "until")
    if (author := p.str("author")) is not None:
        commits = [c for c in commits if _matches(author, f"{c.author_name} <{c.author_email}>")]
    stats = bool(p.bool("with_stats", False))
    trailers = bool(p.bool("trailers", False))
    base = origin(req.http)

    def render(commit: Commit) -> dict[str, Any]:
        data = commit_json(req.state, project, commit, base)
        if trailers:
            data["trailers"] = parse_trailers(commit.message)
            data["extended_trailers"] = {k: [v] for k, v in data["trailers"].items()}
        if stats:
            data["stats"] = _stats(req.state, _first_parent(project, commit), commit)
        return data

    return paginate(req.http, p, commits, render)


def parse_trailers(message: str) -> dict[str, str]:
    """`git interpret-trailers --parse`, roughly: the message's last paragraph, when every line of it is
    `Key: value` (the last value of a key wins, as Gitaly's map keeps it)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    lines = paragraphs[-1].splitlines()
    found = [re.fullmatch(r"([A-Za-z0-9-]+):\s*(.*)", line.strip()) for line in lines]
    if not all(found):
        return {}
    return {m.group(1): m.group(2) for m in found if m}


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return pattern in text


def _touches(project: Project, commit: Commit, path: str) -> bool:
    parent = _first_parent(project, commit)
    return (parent.tree.get(path) if parent else None) != commit.tree.get(path)


@ROUTES.get("/projects/:id/repository/commits/:sha", anonymous=True)
async def get_commit(req: ApiRequest) -> Response:
    project = readable_project(req)
    commit = resolve(project, req.path["sha"])
    if commit is None:
        raise not_found("Commit")
    data = commit_json(req.state, project, commit, origin(req.http))
    if req.params.bool("stats", True):
        data["stats"] = _stats(req.state, _first_parent(project, commit), commit)
    data["status"] = None
    data["last_pipeline"] = None
    return json_response(data)
