"""Merge requests: create, list with filters, read, update, merge (REFERENCE 2.13)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import find_project, project_access, user_of
from provisioner.sandbox.http import (
    forbidden,
    json_response,
    message,
    not_found,
    origin,
    unauthorized,
)
from provisioner.sandbox.repo import Author, make_commit, merge_base, merge_trees
from provisioner.sandbox.routes.commits import readable_project
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import DEVELOPER, MergeRequest, Project, State, now_iso
from provisioner.sandbox.views import user_basic
from provisioner.sandbox.world import can_merge

ROUTES = Routes()
MRS = "/projects/:id/merge_requests"
STATES = ("opened", "closed", "locked", "merged", "all")


def mr_json(state: State, project: Project, mr: MergeRequest, base: str) -> dict[str, Any]:
    full_path = state.project_full_path(project)
    author = state.users.get(mr.author_id)
    sha = project.repo.branches.get(mr.source_branch) or mr.head_sha
    merged_by = state.users.get(mr.merged_by_id) if mr.merged_by_id is not None else None
    assignees = [user_basic(state.users[i], base) for i in mr.assignee_ids if i in state.users]
    return {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": project.id,
        "title": mr.title,
        "description": mr.description,
        "state": mr.state,
        "created_at": mr.created_at,
        "updated_at": mr.updated_at,
        "merged_by": user_basic(merged_by, base) if merged_by else None,
        "merge_user": user_basic(merged_by, base) if merged_by else None,
        "merged_at": mr.merged_at,
        "closed_by": None,
        "closed_at": None,
        "target_branch": mr.target_branch,
        "source_branch": mr.source_branch,
        "user_notes_count": 0,
        "upvotes": 0,
        "downvotes": 0,
        "author": user_basic(author, base) if author else None,
        "assignees": assignees,
        "assignee": assignees[0] if assignees else None,
        "reviewers": [user_basic(state.users[i], base) for i in mr.reviewer_ids if i in state.users],
        "source_project_id": project.id,
        "target_project_id": project.id,
        "labels": list(mr.labels),
        "draft": _draft(mr),
        "work_in_progress": _draft(mr),
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable" if mr.state == "opened" else "not_open",
        "sha": sha,
        "merge_commit_sha": mr.merge_commit_sha,
        "squash_commit_sha": None,
        "discussion_locked": None,
        "should_remove_source_branch": None,
        "force_remove_source_branch": mr.remove_source_branch,
        "reference": f"!{mr.iid}",
        "references": {"short": f"!{mr.iid}", "relative": f"!{mr.iid}", "full": f"{full_path}!{mr.iid}"},
        "web_url": f"{base}/{full_path}/-/merge_requests/{mr.iid}",
        "squash": mr.squash,
        "has_conflicts": False,
        "blocking_discussions_resolved": True,
    }


def _draft(mr: MergeRequest) -> bool:
    return mr.title.lower().startswith(("draft:", "[draft]", "(draft)"))


def _duplicate(project: Project, mr: MergeRequest) -> None:
    for other in project.merge_requests:
        if other.id != mr.id and other.state == "opened" and other.source_branch == mr.source_branch:
            raise message(
                [f"Another open merge request already exists for this source branch: !{other.iid}"], 409
            )


def _check_branches(project: Project, mr: MergeRequest) -> None:
    if mr.source_branch == mr.target_branch:
        raise message(["You can't use same project/branch for source and target"], 422)
    for label, name in (("Source", mr.source_branch), ("Target", mr.target_branch)):
        if name not in project.repo.branches:
            raise message([f'{label} branch "{name}" does not exist'], 422)  # wording unverified


@ROUTES.post(MRS)
async def create_mr(req: ApiRequest) -> Response:
    project = find_project(req)
    user = user_of(req)
    if user is None or project_access(req.state, user, project) < DEVELOPER:
        raise forbidden()
    p = req.params
    p.require("source_branch", "target_branch", "title")
    now = now_iso()
    mr = MergeRequest(
        id=req.state.next_id("merge_request"),
        iid=max((m.iid for m in project.merge_requests), default=0) + 1,
        title=p.str("title"),
        source_branch=p.str("source_branch"),
        target_branch=p.str("target_branch"),
        author_id=user.id,
        created_at=now,
        updated_at=now,
        description=p.str("description"),
        labels=p.list("labels", []),
        assignee_ids=[int(i) for i in p.list("assignee_ids", []) if str(i).isdigit()],
        reviewer_ids=[int(i) for i in p.list("reviewer_ids", []) if str(i).isdigit()],
        remove_source_branch=p.bool("remove_source_branch"),
        squash=bool(p.bool("squash", False)),
    )
    _check_branches(project, mr)
    _duplicate(project, mr)
    project.merge_requests.append(mr)
    return json_response(mr_json(req.state, project, mr, origin(req.http)), 201)


def _mr(project: Project, iid: str) -> MergeRequest:
    mr = next((m for m in project.merge_requests if str(m.iid) == iid), None)
    if mr is None:
        raise not_found("Merge Request")
    return mr


@ROUTES.get(f"{MRS}/:iid", anonymous=True)
async def get_mr(req: ApiRequest) -> Response:
    project = readable_project(req)
    return json_response(mr_json(req.state, project, _mr(project, req.path["iid"]), origin(req.http)))


@ROUTES.put(f"{MRS}/:iid")
async def update_mr(req: ApiRequest) -> Response:
    project = find_project(req)
    if project_access(req.state, user_of(req), project) < DEVELOPER:
        raise forbidden()
    mr = _mr(project, req.path["iid"])
    p = req.params
    fields = [
        "title",
        "description",
        "target_branch",
        "state_event",
        "labels",
        "assignee_ids",
        "reviewer_ids",
    ]
    p.at_least_one_of([*fields, "remove_source_branch", "squash", "discussion_locked", "milestone_id"])
    updated = MergeRequest(**vars(mr))
    updated.title = p.str("title", mr.title)
    updated.description = p.str("description", mr.description)
    updated.target_branch = p.str("target_branch", mr.target_branch)
    updated.labels = p.list("labels", mr.labels)
    updated.remove_source_branch = p.bool("remove_source_branch", mr.remove_source_branch)
    updated.squash = p.bool("squash", mr.squash)
    if "assignee_ids" in p:
        updated.assignee_ids = [int(i) for i in p.list("assignee_ids", []) if str(i).isdigit()]
    event = p.enum("state_event", ("close", "reopen"))
    if event == "close" and mr.state == "opened":
        updated.state = "closed"
    elif event == "reopen" and mr.state == "closed":
        updated.state = "opened"
    if updated.target_branch != mr.target_branch:
        _check_branches(project, updated)
    if updated.state == "opened":
        _duplicate(project, updated)
    updated.updated_at = now_iso()
    vars(mr).update(vars(updated))
    return json_response(mr_json(req.state, project, mr, origin(req.http)))


@ROUTES.put(f"{MRS}/:iid/merge")
async def merge_mr(req: ApiRequest) -> Response:
    """`PUT .../merge` as lib/api/merge_requests.rb answers it: 401 when the user may not merge into the
    target branch, 405 when the merge request cannot be merged now (closed, merged, draft), 422 "Branch
    cannot be merged" on conflicts, 409 when `sha` is not the source branch's head. A merge commit with
    both heads as parents (merge method "merge"); the source branch goes when asked to."""
    project = find_project(req)
    user = user_of(req)
    mr = _mr(project, req.path["iid"])
    level = project_access(req.state, user, project)
    if user is None or level < DEVELOPER or not can_merge(level, project, mr.target_branch):
        raise unauthorized()
    repo = project.repo
    if mr.state != "opened" or _draft(mr) or mr.source_branch not in repo.branches:
        raise message("405 Method Not Allowed", 405)
    target, source = (
        repo.commits[repo.branches[mr.target_branch]],
        repo.commits[repo.branches[mr.source_branch]],
    )
    merged = merge_trees(merge_base(project, target, source), target, source)
    if merged is None:
        raise message("Branch cannot be merged", 422)
    p = req.params
    if (sha := p.str("sha")) is not None and sha != source.id:
        raise message(f"SHA does not match HEAD of source branch: {source.id}", 409)
    text = p.str("merge_commit_message") or (
        f"Merge branch '{mr.source_branch}' into '{mr.target_branch}'\n\n{mr.title}\n\n"
        f"See merge request {req.state.project_full_path(project)}!{mr.iid}"
    )
    commit = make_commit(
        req.state, project, [target.id, source.id], merged[0], merged[1], text, Author(user.name, user.email)
    )
    repo.branches[mr.target_branch] = commit.id
    project.updated_at = commit.created_at
    mr.state, mr.merged_by_id, mr.merged_at = "merged", user.id, commit.created_at
    mr.merge_commit_sha, mr.head_sha, mr.updated_at = commit.id, source.id, commit.created_at
    if p.bool("should_remove_source_branch", mr.remove_source_branch) and mr.source_branch != (
        project.default_branch
    ):
        del repo.branches[mr.source_branch]
    return json_response(mr_json(req.state, project, mr, origin(req.http)))
