"""Merge requests: create, list with filters, read, update (REFERENCE 2.13)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import find_project, project_access, user_of
from provisioner.sandbox.http import forbidden, json_response, message, not_found, origin, paginate
from provisioner.sandbox.routes.commits import readable_project
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import DEVELOPER, MergeRequest, Project, State, now_iso
from provisioner.sandbox.views import user_basic

ROUTES = Routes()
MRS = "/projects/:id/merge_requests"
STATES = ("opened", "closed", "locked", "merged", "all")


def mr_json(state: State, project: Project, mr: MergeRequest, base: str) -> dict[str, Any]:
    full_path = state.project_full_path(project)
    author = state.users.get(mr.author_id)
    sha = project.repo.branches.get(mr.source_branch)
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
        "merged_by": None,
        "merged_at": None,
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
        "draft": mr.title.lower().startswith(("draft:", "[draft]", "(draft)")),
        "work_in_progress": mr.title.lower().startswith(("draft:", "[draft]", "(draft)")),
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable" if mr.state == "opened" else "not_open",
        "sha": sha,
        "merge_commit_sha": None,
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


@ROUTES.get(MRS, anonymous=True)
async def list_mrs(req: ApiRequest) -> Response:
    project = readable_project(req)
    p = req.params
    mrs = list(project.merge_requests)
    wanted = p.enum("state", STATES, "all")
    if wanted != "all":
        mrs = [m for m in mrs if m.state == wanted]
    for field in ("source_branch", "target_branch"):
        if (value := p.str(field)) is not None:
            mrs = [m for m in mrs if getattr(m, field) == value]
    if (labels := p.list("labels")) is not None:
        mrs = [m for m in mrs if set(labels) <= set(m.labels)]
    if (author := p.int("author_id")) is not None:
        mrs = [m for m in mrs if m.author_id == author]
    if (search := p.str("search")) is not None:
        mrs = [m for m in mrs if search.lower() in (m.title + " " + (m.description or "")).lower()]
    if (iids := p.list("iids")) is not None:
        mrs = [m for m in mrs if str(m.iid) in iids]
    order = p.enum("order_by", ("created_at", "updated_at", "title"), "created_at")
    mrs.sort(
        key=lambda m: (getattr(m, order), m.id), reverse=p.enum("sort", ("asc", "desc"), "desc") == "desc"
    )
    base = origin(req.http)
    return paginate(req.http, p, mrs, lambda m: mr_json(req.state, project, m, base))


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
