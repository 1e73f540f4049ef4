"""What the GraphQL fields answer, read straight from the sandbox's `State`.

Every object is rendered as a dict whose keys are the schema's field names; fields with arguments or
costly to compute are callables, which graphql-core's default resolver calls with the arguments.

Authorization follows GitLab's three behaviours (REFERENCE 3):
- a field with `authorize:` (ciVariables) or a type with `authorize` (ciCdSettings, Repository)
  resolves to null without an error;
- resolvers that call `authorize!` (ciJobTokenScope) or whose finder refuses (runners) add an error
  and resolve to null;
- connection nodes of a type the caller may not read (protection rules, branch rules, runners the
  caller may not `read_runner`: runner_policy.py) are left out.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import GraphQLError

from provisioner.sandbox.auth import can_read_code, can_read_group, can_read_project, project_access
from provisioner.sandbox.routes.graphql_time import Clock
from provisioner.sandbox.state import DEVELOPER, MAINTAINER, Namespace, Project, Runner, State, User, Variable

T = TypeVar("T")
MAX_PAGE_SIZE = 100
MAX_FULL_PATHS = 50
NOT_AVAILABLE = (
    "The resource that you are attempting to access does not exist or you don't have permission to "
    "perform this action"
)
# ProtectedRefAccess.human_access_levels [G:app/models/concerns/protected_ref_access.rb]
HUMAN_ACCESS_LEVELS = {30: "Developers + Maintainers", 40: "Maintainers", 60: "Instance admins", 0: "No one"}


@dataclass(frozen=True)
class Context:
    state: State
    viewer: User | None
    origin: str
    memo: dict[str, Any] = field(default_factory=dict)  # indexes built once per request
    clock: Clock | None = None  # the query's time cost (graphql_time.py)
    writable: bool = False  # the token may write (`api`): mutations are refused to `read_api`

    def runners_of(self, project_id: int) -> list[Runner]:
        """Project runners assigned to the project, without a scan of every runner per project."""
        index = self.memo.get("runners")
        if index is None:
            index = self.memo["runners"] = {}
            for runner in sorted(self.state.runners.values(), key=lambda r: r.id, reverse=True):
                for owner in (runner.project_ids, runner.group_ids)[runner.runner_type == "group_type"]:
                    index.setdefault((runner.runner_type, owner), []).append(runner)
                if runner.runner_type == "instance_type":
                    index.setdefault(("instance_type", 0), []).append(runner)
        return list(index.get(("project_type", project_id), ()))

    def runners_of_groups(self, group_ids: set[int]) -> list[Runner]:
        self.runners_of(0)
        index = self.memo["runners"]
        found = {r.id: r for g in group_ids for r in index.get(("group_type", g), ())}
        return [found[i] for i in sorted(found, reverse=True)]

    def instance_runners(self) -> list[Runner]:
        self.runners_of(0)
        return list(self.memo["runners"].get(("instance_type", 0), ()))


def gid(model: str, ident: object) -> str:
    return f"gid://gitlab/{model}/{ident}"


# -- connections ---------------------------------------------------------------------------------
def connection(items: Sequence[T], render: Callable[[T], Any], args: dict[str, Any]) -> dict[str, Any]:
    """graphql-ruby's array connection: cursors are positions, pages at most 100 nodes."""
    start, end = 0, len(items)
    if args.get("after") is not None:
        start = max(start, _position(args["after"]) + 1)
    if args.get("before") is not None:
        end = min(end, _position(args["before"]))
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        first = MAX_PAGE_SIZE
    if first is not None:
        end = min(end, start + max(0, min(first, MAX_PAGE_SIZE)))
    if last is not None:
        start = max(start, end - max(0, min(last, MAX_PAGE_SIZE)))
    window = range(start, max(start, end))
    nodes = [render(items[i]) for i in window]
    edges = [{"cursor": _cursor(i), "node": node} for i, node in zip(window, nodes, strict=True)]
    return {
        "count": len(items),
        "nodes": nodes,
        "edges": edges,
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _cursor(index: int) -> str:
    return base64.b64encode(str(index + 1).encode()).decode()


def _position(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor.encode(), validate=True).decode()) - 1
    except ValueError as exc:
        raise GraphQLError("Invalid cursor provided") from exc


# -- query roots ---------------------------------------------------------------------------------
def query_root(ctx: Context) -> dict[str, Any]:
    return {
        "currentUser": _current_user(ctx),
        "project": lambda info, fullPath: _project_by_path(ctx, fullPath),
        "projects": lambda info, **args: _projects(ctx, args),
        "group": lambda info, fullPath: _group(ctx, fullPath),
    }


def _current_user(ctx: Context) -> dict[str, Any] | None:
    user = ctx.viewer
    if user is None:
        return None
    return {"id": gid("User", user.id), "username": user.username, "name": user.name}


def _project_by_path(ctx: Context, full_path: str) -> dict[str, Any] | None:
    project_id = ctx.state.paths.get(full_path.lower())
    project = ctx.state.projects.get(project_id) if project_id is not None else None
    if project is None or not can_read_project(ctx.state, ctx.viewer, project):
        return None
    return project_node(ctx, project)


def _projects(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    state, viewer = ctx.state, ctx.viewer
    paths = args.get("fullPaths")
    if paths is not None and len(paths) > MAX_FULL_PATHS:
        raise GraphQLError(f"You cannot provide more than {MAX_FULL_PATHS} full_paths")
    if paths is not None:
        ids = [state.paths.get(p.lower()) for p in paths]
        found = [state.projects[i] for i in dict.fromkeys(ids) if i is not None]
    else:
        found = list(state.projects.values())
    if args.get("ids") is not None:
        wanted = {str(i).rsplit("/", 1)[-1] for i in args["ids"]}
        found = [p for p in found if str(p.id) in wanted]
    if args.get("search"):
        needle = args["search"].lower()
        found = [p for p in found if needle in (p.name + " " + p.path).lower()]
    visible = [p for p in found if can_read_project(state, viewer, p)]
    if args.get("membership"):
        visible = [p for p in visible if viewer is not None and project_access(state, viewer, p) > 0]
    return connection(_sorted(visible, args.get("sort")), lambda p: project_node(ctx, p), args)


SORTS = {
    "id": lambda p: p.id,
    "name": lambda p: (p.name.lower(), p.id),
    "path": lambda p: (p.path.lower(), p.id),
}
SORTS["created"] = SORTS["id"]  # ids grow with creation time


def _sorted(projects: list[Project], sort: str | None) -> list[Project]:
    """`<field>_<asc|desc>` (id, name, path, created); ProjectsFinder's default, and what an unknown
    value gets, is id_desc [G:app/graphql/resolvers/projects_resolver.rb; unknown values unverified]."""
    field, _, direction = (sort or "id_desc").rpartition("_")
    key = SORTS.get(field)
    if key is None or direction not in ("asc", "desc"):
        key, direction = SORTS["id"], "desc"
    return sorted(projects, key=key, reverse=direction == "desc")


def _group(ctx: Context, full_path: str) -> dict[str, Any] | None:
    state = ctx.state
    ns_id = state.namespace_paths.get(full_path.lower())
    ns = state.namespaces.get(ns_id) if ns_id is not None else None
    if ns is None or ns.kind != "group" or not can_read_group(state, ctx.viewer, ns):
        return None
    return {
        "id": gid("Group", ns.id),
        "fullPath": state.namespace_full_path(ns.id),
        "name": ns.name,
        "path": ns.path,
        "projects": lambda info, **args: _group_projects(ctx, ns, args),
    }


def _group_projects(ctx: Context, ns: Namespace, args: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    scope = {ns.id}
    if args.get("includeSubgroups"):
        scope |= {d.id for d in state.descendants(ns.id)}
    found = [p for p in state.projects.values() if p.namespace_id in scope]
    if args.get("search"):
        needle = args["search"].lower()
        found = [p for p in found if needle in (p.name + " " + p.path).lower()]
    visible = [p for p in found if can_read_project(state, ctx.viewer, p)]
    return connection(_sorted(visible, args.get("sort")), lambda p: project_node(ctx, p), args)


# -- projects ------------------------------------------------------------------------------------
def project_node(ctx: Context, project: Project) -> dict[str, Any]:
    from provisioner.sandbox.routes import graphql_project as parts
    from provisioner.sandbox.routes.graphql_members import project_members
    from provisioner.sandbox.routes.graphql_schedules import pipeline_schedules

    state, settings = ctx.state, project.settings
    full_path = state.project_full_path(project)
    level = project_access(state, ctx.viewer, project)
    names = [a.name for a in reversed(state.ancestors(project.namespace_id))]
    return {
        "id": gid("Project", project.id),
        "fullPath": full_path,
        "path": project.path,
        "name": project.name,
        "nameWithNamespace": " / ".join([*names, project.name]),
        "description": project.description,
        "isCatalogResource": project.catalog_resource,  # [G:app/graphql/types/project_type.rb]
        "visibility": project.visibility,
        "archived": project.archived,
        "webUrl": f"{ctx.origin}/{full_path}",
        "topics": list(project.topics),
        "ciConfigPathOrDefault": settings.get("ci_config_path") or ".gitlab-ci.yml",
        "sharedRunnersEnabled": settings.get("shared_runners_enabled"),
        "publicJobs": settings.get("public_jobs"),
        "onlyAllowMergeIfPipelineSucceeds": settings.get("only_allow_merge_if_pipeline_succeeds"),
        "allowMergeOnSkippedPipeline": settings.get("allow_merge_on_skipped_pipeline"),
        "onlyAllowMergeIfAllDiscussionsAreResolved": settings.get(
            "only_allow_merge_if_all_discussions_are_resolved"
        ),
        "removeSourceBranchAfterMerge": settings.get("remove_source_branch_after_merge"),
        "userPermissions": {
            "adminProject": level >= MAINTAINER,
            "readProject": True,
            "downloadCode": can_read_code(state, ctx.viewer, project),
            "pushCode": level >= DEVELOPER,
        },
        "ciCdSettings": parts.ci_cd_settings(project) if level >= MAINTAINER else None,
        "ciVariables": lambda info, **args: (
            connection(_sorted_variables(project, args), lambda v: _variable(project, v), args)
            if level >= MAINTAINER
            else None
        ),
        "ciJobTokenScope": lambda info: parts.job_token_scope(ctx, project, level),
        "runners": lambda info, **args: parts.runners(ctx, project, level, args),
        "branchRules": lambda info, **args: parts.branch_rules(project, level, args),
        "packagesProtectionRules": lambda info, **args: connection(
            project.package_protection_rules if level >= MAINTAINER else [], parts.package_rule, args
        ),
        "containerProtectionRepositoryRules": lambda info, **args: connection(
            project.container_protection_rules if level >= MAINTAINER else [], parts.container_rule, args
        ),
        "repository": parts.repository(ctx, project) if can_read_code(state, ctx.viewer, project) else None,
        "projectMembers": lambda info, **args: project_members(ctx, project, args),
        "pipelineSchedules": lambda info, **args: pipeline_schedules(ctx, project, args),
        "mergeRequests": lambda info, **args: (
            parts.merge_requests(ctx, project, args) if can_read_code(state, ctx.viewer, project) else None
        ),
    }


def _sorted_variables(project: Project, args: dict[str, Any]) -> list[Variable]:
    sort = args.get("sort")
    if sort is None:
        return list(project.variables)
    return sorted(project.variables, key=lambda v: (v.key, v.environment_scope), reverse=sort == "KEY_DESC")


def _variable(project: Project, variable: Variable) -> dict[str, Any]:
    # Variables have no id in the sandbox's model; a stable one stands in for GitLab's row id.
    ident = zlib.crc32(f"{project.id}/{variable.key}/{variable.environment_scope}".encode())
    return {
        "id": gid("Ci::Variable", ident),
        "key": variable.key,
        "value": None if variable.hidden else variable.value,
        "variableType": variable.variable_type.upper(),
        "environmentScope": variable.environment_scope,
        "protected": variable.protected,
        "masked": variable.masked,
        "hidden": variable.hidden,
        "raw": variable.raw,
        "description": variable.description,
    }


def runner_node(ctx: Context, runner: Runner, *, may_update: bool) -> dict[str, Any]:
    state = ctx.state
    owner = state.projects.get(runner.project_ids[0]) if runner.project_ids else None
    return {
        "id": gid("Ci::Runner", runner.id),
        "description": runner.description,
        "runnerType": runner.runner_type.upper(),
        "paused": runner.paused,
        "active": not runner.paused,
        "locked": runner.locked,
        "runUntagged": runner.run_untagged,
        "tagList": sorted(runner.tag_list),
        "accessLevel": runner.access_level.upper(),
        "maximumTimeout": runner.maximum_timeout,
        "maintenanceNote": runner.maintenance_note if may_update else None,
        "contactedAt": runner.contacted_at,
        "status": "ONLINE" if runner.contacted_at else "NEVER_CONTACTED",
        "projectCount": len(runner.project_ids) if runner.runner_type == "project_type" else None,
        "ownerProject": (
            project_node(ctx, owner)
            if owner is not None and can_read_project(state, ctx.viewer, owner)
            else None
        ),
    }


def human_access_level(level: int) -> str:
    return HUMAN_ACCESS_LEVELS.get(level, str(level))
