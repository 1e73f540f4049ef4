"""Sharing a project or a group with a group (REFERENCE 2.1, 2.2), as GitLab's group links do.

- `POST /projects/:id/share` needs admin_project; the group must be one the caller belongs to
  (`read_namespace_via_membership`), else `404 Not Found` with GitLab's bare wording; sharing with
  Owner access needs the project's Owner (`manage_owners`), else 403 [G:lib/api/projects.rb,
  app/services/projects/group_links/create_service.rb, app/models/concerns/group_linkable.rb].
- `POST /groups/:id/share` answers the shared group's GroupDetail; it needs `admin_group_member`
  (Owner) on the shared group and `read_group` on the other [G:lib/api/groups.rb,
  app/services/groups/group_links/create_service.rb].
- `DELETE /groups/:id/share/:group_id` answers 204 whatever its service says: a caller below Owner is
  told 204 and nothing is removed [G:lib/api/groups.rb `no_content!` after
  Groups::GroupLinks::DestroyService, which returns `error('Not Found', 404)` unless
  `admin_group_member`].
- There is no REST route that changes a share's access or expiry: it is removed and shared again.
- Access levels: `Gitlab::Access.all_values` (10 to 50, and 15 from GitLab 17.7), refused with Grape's
  wording [G:lib/api/projects.rb, lib/api/groups.rb `values: Gitlab::Access.all_values`].
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import (
    can_read_group,
    find_group,
    namespace_access,
    project_access,
    require_project,
    user_of,
)
from provisioner.sandbox.http import (
    Params,
    json_response,
    message,
    no_content,
    not_found,
    origin,
    param_error,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import GUEST, MAINTAINER, OWNER, GroupShare, Namespace, State, User
from provisioner.sandbox.times import date_param
from provisioner.sandbox.versions import has
from provisioner.sandbox.views import group_detail_json

ROUTES = Routes()


def share_levels(state: State) -> tuple[int, ...]:
    if has(state, "rest:GroupLink.group_access=planner"):
        return (10, 15, 20, 30, 40, 50)
    return (10, 20, 30, 40, 50)


def _read(req: ApiRequest) -> tuple[int, int, str | None]:
    p = req.params
    p.require("group_id", "group_access")
    group_id, level = p.int("group_id"), p.int("group_access")
    if level not in share_levels(req.state):
        raise param_error("group_access does not have a valid value")
    raw = p.raw("expires_at")
    return group_id, level, date_param("expires_at", raw) if raw not in (None, "") else None


def _member_of(state: State, user: User | None, ns: Namespace) -> bool:
    """`read_namespace_via_membership`: a member of the group or of a group above it (or an admin)."""
    return user is not None and namespace_access(state, user, ns.id) >= GUEST


def _group(state: State, group_id: int) -> Namespace | None:
    ns = state.namespaces.get(group_id)
    return ns if ns is not None and ns.kind == "group" else None


@ROUTES.post("/projects/:id/share")
async def share_project(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    state, viewer = req.state, user_of(req)
    group_id, level, expires = _read(req)
    if level == OWNER and project_access(state, viewer, project) < OWNER:
        raise message("403 Forbidden", 403)
    group = _group(state, group_id)
    if group is None or not _member_of(state, viewer, group):
        raise message("Not Found", 404)
    if any(s.group_id == group.id for s in project.shared_with):
        # ProjectGroupLink: `validates :group_id, uniqueness: ... 'already shared with this group'`.
        raise message("Group already shared with this group", 409)
    project.shared_with.append(GroupShare(group.id, level, expires))
    link: dict[str, Any] = {
        "id": len(project.shared_with),
        "project_id": project.id,
        "group_id": group.id,
        "group_access": level,
        "expires_at": expires,
    }
    return json_response(link, 201)


@ROUTES.delete("/projects/:id/share/:group_id")
async def unshare_project(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    group_id = Params(req.path).int("group_id")
    if not any(s.group_id == group_id for s in project.shared_with):
        raise not_found("Group Link")
    project.shared_with = [s for s in project.shared_with if s.group_id != group_id]
    return no_content()


@ROUTES.post("/groups/:id/share")
async def share_group(req: ApiRequest) -> Response:
    shared = find_group(req)
    state, viewer = req.state, user_of(req)
    group_id, level, expires = _read(req)
    with_group = find_group(req, str(group_id))  # find_group!: 404 Group Not Found
    if namespace_access(state, viewer, shared.id) < OWNER or not can_read_group(state, viewer, with_group):
        raise message("Not Found", 404)
    if any(s.group_id == with_group.id for s in shared.shared_with):
        # GroupGroupLink's uniqueness message, rendered as a full message [G:app/models/group_group_link.rb].
        raise message("Shared group The group has already been shared with this group", 409)
    shared.shared_with.append(GroupShare(with_group.id, level, expires))
    return json_response(group_detail_json(state, shared, origin(req.http), viewer), 201)


@ROUTES.delete("/groups/:id/share/:group_id")
async def unshare_group(req: ApiRequest) -> Response:
    shared = find_group(req)
    state = req.state
    group_id = Params(req.path).int("group_id")
    if not any(s.group_id == group_id for s in shared.shared_with):
        raise not_found("Group Link")
    if namespace_access(state, user_of(req), shared.id) >= OWNER:
        shared.shared_with = [s for s in shared.shared_with if s.group_id != group_id]
    return no_content()  # also when the service refused: GitLab does not look at its answer
