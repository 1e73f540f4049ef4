"""`GET /projects/:id/merge_requests`: MergeRequestsFinder's filters, applied or refused (REFERENCE 2.13)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import user_of
from provisioner.sandbox.filters import between, refuse
from provisioner.sandbox.http import origin, paginate, param_error
from provisioner.sandbox.routes.commits import readable_project
from provisioner.sandbox.routes.merge_requests import MRS, STATES, _draft, mr_json
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MergeRequest, Project, State

ROUTES = Routes()
ORDER_BY = (
    "created_at",
    "updated_at",
    "title",
    "merged_at",
    "label_priority",
    "milestone_due",
    "popularity",
    "priority",
)
UNMODELLED = (
    "milestone",
    "my_reaction_emoji",
    "not",
    "environment",
    "deployed_before",
    "deployed_after",
    "with_labels_details",
    "with_merge_status_recheck",
    "approved_by_ids",
    "approved_by_usernames",
    "approver_ids",
    "approved",
)


@ROUTES.get(MRS, anonymous=True)
async def list_mrs(req: ApiRequest) -> Response:
    """MergeRequestsFinder as the API drives it [G:lib/api/merge_requests.rb `merge_requests_params`,
    doc/api/merge_requests.md]. Milestones, reactions, deployments, approvals and `not[...]` are not
    modelled: refused rather than ignored."""
    project = readable_project(req)
    mrs = _filtered(req, list(project.merge_requests))
    p = req.params
    order = p.enum("order_by", ORDER_BY, "created_at")
    if order not in ("created_at", "updated_at", "title", "merged_at"):
        raise param_error("order_by does not have a valid value")  # label and milestone orders: not modelled
    mrs.sort(
        key=lambda m: (getattr(m, order) or "", m.id),
        reverse=p.enum("sort", ("asc", "desc"), "desc") == "desc",
    )
    base = origin(req.http)
    if p.enum("view", ("simple",)) == "simple":
        return paginate(req.http, p, mrs, lambda m: _simple(req.state, project, m, base))
    return paginate(req.http, p, mrs, lambda m: mr_json(req.state, project, m, base))


def _filtered(req: ApiRequest, mrs: list[MergeRequest]) -> list[MergeRequest]:
    p, users = req.params, req.state.users
    refuse(p, *UNMODELLED)
    viewer = user_of(req)
    scope = p.enum("scope", ("created_by_me", "assigned_to_me", "reviews_for_me", "all"), "all")
    mine = viewer.id if viewer else -1
    if scope == "created_by_me":
        mrs = [m for m in mrs if m.author_id == mine]
    elif scope == "assigned_to_me":
        mrs = [m for m in mrs if mine in m.assignee_ids]
    elif scope == "reviews_for_me":
        mrs = [m for m in mrs if mine in m.reviewer_ids]
    wanted = p.enum("state", STATES, "all")
    if wanted != "all":
        mrs = [m for m in mrs if m.state == wanted]
    for field in ("source_branch", "target_branch"):
        if (value := p.str(field)) is not None:
            mrs = [m for m in mrs if getattr(m, field) == value]
    if (labels := p.list("labels")) is not None:
        mrs = _by_labels(mrs, labels)
    if (author := p.int("author_id")) is not None:
        mrs = [m for m in mrs if m.author_id == author]
    if (name := p.str("author_username")) is not None:
        mrs = [m for m in mrs if m.author_id in users and users[m.author_id].username == name]
    mrs = _by_people(p, mrs, "assignee_id", lambda m: m.assignee_ids)
    mrs = _by_people(p, mrs, "reviewer_id", lambda m: m.reviewer_ids)
    if (name := p.str("reviewer_username")) is not None:
        mrs = [m for m in mrs if any(users[i].username == name for i in m.reviewer_ids if i in users)]
    if (merger := p.int("merge_user_id")) is not None:
        mrs = [m for m in mrs if m.merged_by_id == merger]
    if (name := p.str("merge_user_username")) is not None:
        mrs = [m for m in mrs if m.merged_by_id in users and users[m.merged_by_id].username == name]
    if (search := p.str("search")) is not None:
        where = p.str("in", "title,description").split(",")
        mrs = [
            m
            for m in mrs
            if search.lower()
            in " ".join(
                (m.title if "title" in where else "", (m.description or "") if "description" in where else "")
            ).lower()
        ]
    if (iids := p.list("iids")) is not None:
        mrs = [m for m in mrs if str(m.iid) in iids]
    draft = p.enum("draft", ("yes", "no")) or p.enum("wip", ("yes", "no"))
    if draft is not None:
        mrs = [m for m in mrs if _draft(m) == (draft == "yes")]
    mrs = between(p, mrs, lambda m: m.created_at, "created_after", "created_before")
    return between(p, mrs, lambda m: m.updated_at, "updated_after", "updated_before")


def _by_labels(mrs: list[MergeRequest], labels: list[str]) -> list[MergeRequest]:
    """`None`: without labels; `Any`: with at least one; else all of them."""
    if labels == ["None"]:
        return [m for m in mrs if not m.labels]
    if labels == ["Any"]:
        return [m for m in mrs if m.labels]
    return [m for m in mrs if set(labels) <= set(m.labels)]


def _by_people(p: Any, mrs: list[MergeRequest], name: str, ids: Any) -> list[MergeRequest]:
    """`<name>`: a user id, `None` (nobody) or `Any` (somebody)."""
    raw = p.str(name)
    if raw is None:
        return mrs
    if raw.lower() == "none":
        return [m for m in mrs if not ids(m)]
    if raw.lower() == "any":
        return [m for m in mrs if ids(m)]
    user_id = p.int(name)
    return [m for m in mrs if user_id in ids(m)]


def _simple(state: State, project: Project, mr: MergeRequest, base: str) -> dict[str, Any]:
    """`view=simple`: Entities::MergeRequestSimple."""
    full = mr_json(state, project, mr, base)
    keys = ("id", "iid", "project_id", "title", "description", "state", "created_at", "updated_at", "web_url")
    return {k: full[k] for k in keys} | {"references": full["references"]}
