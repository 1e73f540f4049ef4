"""The parts of a GraphQL `Project` that live in their own GitLab types: CI/CD settings, the job token
scope, runners, branch rules, registry protection rules and the repository's blobs."""

from __future__ import annotations

import fnmatch
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLResolveInfo

from provisioner.sandbox.repo import resolve
from provisioner.sandbox.routes.graphql_resolve import (
    NOT_AVAILABLE,
    Context,
    connection,
    gid,
    human_access_level,
    runner_node,
)
from provisioner.sandbox.routes.merge_requests import mr_json
from provisioner.sandbox.runner_policy import can_read
from provisioner.sandbox.state import (
    DEVELOPER,
    MAINTAINER,
    ContainerProtectionRule,
    PackageProtectionRule,
    Project,
    ProtectedBranch,
)
from provisioner.sandbox.versions import has


def ci_cd_settings(project: Project) -> dict[str, Any]:
    settings = project.settings
    return {
        # `ProjectCiCdSetting#inbound_job_token_scope_enabled?`: the project's own value. Unlike REST
        # (Project#ci_inbound_job_token_scope_enabled?), the instance's enforcement is not folded in
        # [G:app/graphql/types/ci/ci_cd_setting_type.rb `method: :inbound_job_token_scope_enabled?`;
        # no override of that predicate was found in app/models/project_ci_cd_setting.rb].
        "inboundJobTokenScopeEnabled": project.job_token_inbound_enabled,
        "jobTokenScopeEnabled": False,  # the outbound scope, removed from GitLab
        "keepLatestArtifact": settings.get("keep_latest_artifact"),
        "mergePipelinesEnabled": bool(settings.get("merge_pipelines_enabled", False)),
        "groupRunnersEnabled": settings.get("group_runners_enabled"),
        "pipelineVariablesMinimumOverrideRole": settings.get("ci_pipeline_variables_minimum_override_role"),
        "pushRepositoryForJobTokenAllowed": settings.get("ci_push_repository_for_job_token_allowed"),
    }


def job_token_scope(ctx: Context, project: Project, level: int) -> dict[str, Any]:
    if level < MAINTAINER:
        raise GraphQLError(NOT_AVAILABLE)
    state = ctx.state
    # The source project is always part of its own inbound allowlist (as the REST list shows).
    ids = [project.id, *[i for i in project.job_token_allowlist_projects if i != project.id]]
    projects = [state.projects[i] for i in ids if i in state.projects]
    groups = [state.namespaces[i] for i in project.job_token_allowlist_groups if i in state.namespaces]

    def accessible_project(p: Project) -> dict[str, Any]:
        full_path = state.project_full_path(p)
        return {
            "id": gid("Project", p.id),
            "name": p.name,
            "path": p.path,
            "fullPath": full_path,
            "webUrl": f"{ctx.origin}/{full_path}",
        }

    def accessible_group(ns: Any) -> dict[str, Any]:
        full_path = state.namespace_full_path(ns.id)
        return {
            "id": gid("Group", ns.id),
            "name": ns.name,
            "path": ns.path,
            "fullPath": full_path,
            "webUrl": f"{ctx.origin}/groups/{full_path}",
        }

    return {
        "inboundAllowlist": lambda info, **args: connection(projects, accessible_project, args),
        "groupsAllowlist": lambda info, **args: connection(groups, accessible_group, args),
        "inboundAllowlistCount": len(projects),
        "groupsAllowlistCount": len(groups),
    }


def runners(ctx: Context, project: Project, level: int, args: dict[str, Any]) -> dict[str, Any]:
    """Ci::RunnersFinder for a project: `owned_or_instance_wide`, as REST lists them (the project's
    runner toggles apply), newest first (DEFAULT_SORT created_at_desc); then every node is authorised
    with `read_runner` and the ones the caller may not read are left out without an error
    [G:app/finders/ci/runners_finder.rb, app/policies/ci/runner_policy.rb]."""
    if level < MAINTAINER:
        raise GraphQLError(NOT_AVAILABLE)  # the finder raises AccessDeniedError below Maintainer
    state = ctx.state
    groups = {ns.id for ns in state.ancestors(project.namespace_id) if ns.kind == "group"}
    settings = project.settings
    found = sorted(
        [
            *ctx.runners_of(project.id),
            *(ctx.runners_of_groups(groups) if settings.get("group_runners_enabled") else ()),
            *(ctx.instance_runners() if settings.get("shared_runners_enabled") else ()),
        ],
        key=lambda r: r.id,
        reverse=True,
    )
    if args.get("type") is not None:
        found = [r for r in found if r.runner_type == args["type"].lower()]
    if args.get("paused") is not None:
        found = [r for r in found if r.paused == args["paused"]]
    if args.get("tagList"):
        found = [r for r in found if set(args["tagList"]) <= set(r.tag_list)]
    if args.get("search"):
        found = [r for r in found if args["search"] in r.description or args["search"] == r.token]
    viewer = ctx.viewer
    found = [r for r in found if can_read(state, viewer, r)]

    def may_update(runner: Any) -> bool:
        if viewer is not None and viewer.is_admin:
            return True
        owner = state.projects.get(runner.project_ids[0]) if runner.project_ids else None
        return runner.runner_type == "project_type" and owner is project

    return connection(found, lambda r: runner_node(ctx, r, may_update=may_update(r)), args)


def branch_rules(project: Project, level: int, args: dict[str, Any]) -> dict[str, Any]:
    # BranchRule needs read_protected_branch (Developer); nodes the caller may not read are left out.
    rules = project.protected_branches if level >= DEVELOPER else []
    return connection(rules, lambda rule: _branch_rule(project, rule), args)


def _branch_rule(project: Project, rule: ProtectedBranch) -> dict[str, Any]:
    branches = list(project.repo.branches)
    matching = [b for b in branches if fnmatch.fnmatchcase(b, rule.name.replace("[", "[[]"))]

    def levels(entries: list[Any], args: dict[str, Any]) -> dict[str, Any]:
        return connection(
            entries,
            lambda e: {
                "accessLevel": e.access_level,
                "accessLevelDescription": human_access_level(e.access_level),
            },
            args,
        )

    return {
        "name": rule.name,
        "isDefault": rule.name == project.default_branch,
        "isProtected": True,
        "matchingBranchesCount": len(matching),
        "branchProtection": {
            "allowForcePush": rule.allow_force_push,
            "pushAccessLevels": lambda info, **args: levels(rule.push, args),
            "mergeAccessLevels": lambda info, **args: levels(rule.merge, args),
        },
    }


def package_rule(rule: PackageProtectionRule) -> dict[str, Any]:
    return {
        "id": gid("Packages::Protection::Rule", rule.id),
        "packageNamePattern": rule.package_name_pattern,
        "packageType": rule.package_type.upper(),
        "minimumAccessLevelForPush": _upper(rule.minimum_access_level_for_push),
        "minimumAccessLevelForDelete": _upper(rule.minimum_access_level_for_delete),
    }


def container_rule(rule: ContainerProtectionRule) -> dict[str, Any]:
    return {
        "id": gid("ContainerRegistry::Protection::Rule", rule.id),
        "repositoryPathPattern": rule.repository_path_pattern,
        "minimumAccessLevelForPush": _upper(rule.minimum_access_level_for_push),
        "minimumAccessLevelForDelete": _upper(rule.minimum_access_level_for_delete),
    }


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None


# -- repository ----------------------------------------------------------------------------------
BLOBS_LIMIT = 20 * 1024 * 1024  # TOTAL_BLOB_DATA_SIZE_LIMIT = 20.megabytes
DATA_FIELDS = frozenset({"rawBlob", "rawTextBlob", "base64EncodedBlob", "plainData"})


def repository(ctx: Context, project: Project) -> dict[str, Any]:
    return {
        "rootRef": project.default_branch if project.repo.commits else None,
        "empty": not project.repo.commits,
        "exists": True,
        "blobs": lambda info, paths, ref=None, refType=None, **args: _blobs_connection(
            ctx, project, info, paths, ref, refType, args
        ),
    }


def _blobs_connection(
    ctx: Context,
    project: Project,
    info: GraphQLResolveInfo[Any],
    paths: list[str],
    ref: str | None,
    ref_type: str | None,
    args: dict[str, Any],
) -> dict[str, Any]:
    """BlobsResolver. Asking for the data of more than one file refuses files over 20 MB in all (from
    18.4.5; an ArgumentError: this field null, the error beside it) [G:app/graphql/resolvers/
    blobs_resolver.rb `validate_blob_data_size_within_limit!`]."""
    if ctx.clock is not None:
        ctx.clock.blobs(len(paths))
    found = _blobs(ctx, project, paths, ref, ref_type)
    if len(paths) > 1 and has(ctx.state, "behaviour:graphql_blobs_size_limit") and _asks_data(info):
        total = sum(int(b["size"]) for b in found)
        if total > BLOBS_LIMIT:
            raise GraphQLError(
                f"Max blobs size limit exceeded ({human_size(total)} / {human_size(BLOBS_LIMIT)})."
            )
    return connection(found, lambda b: b, args)


def _asks_data(info: GraphQLResolveInfo[Any]) -> bool:
    """Whether `nodes { ... }` or `edges { node { ... } }` select a field holding the file's data."""
    names: set[str] = set()
    for field in info.field_nodes:
        for child in _fields(field):
            if child.name.value == "nodes":
                names |= {f.name.value for f in _fields(child)}
            elif child.name.value == "edges":
                for edge in _fields(child):
                    if edge.name.value == "node":
                        names |= {f.name.value for f in _fields(edge)}
    return bool(names & DATA_FIELDS)


def _fields(node: FieldNode) -> list[FieldNode]:
    selections = node.selection_set.selections if node.selection_set else ()
    return [s for s in selections if isinstance(s, FieldNode)]


def human_size(size: int) -> str:
    """ActiveSupport's number_to_human_size: powers of 1024, three significant digits, no trailing zeros."""
    units = ("Bytes", "KB", "MB", "GB", "TB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    if unit == 0:
        return f"{size} {'Byte' if size == 1 else 'Bytes'}"
    digits = max(0, 2 - len(str(int(value))) + 1)  # three significant digits
    text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".") if digits else str(round(value))
    return f"{text} {units[unit]}"


def _blobs(
    ctx: Context, project: Project, paths: list[str], ref: str | None, ref_type: str | None
) -> list[dict[str, Any]]:
    """BlobsResolver: [] for an empty repository; paths missing at the ref are left out."""
    repo = project.repo
    if not repo.commits:
        return []
    ref = ref or project.default_branch or ""
    if ref_type == "HEADS":
        commit = repo.commits.get(repo.branches.get(ref, ""))
    elif ref_type == "TAGS":
        commit = repo.commits.get(repo.tags.get(ref, ""))
    else:
        commit = resolve(project, ref)
    if commit is None:
        return []
    full_path = ctx.state.project_full_path(project)
    found = []
    for path in dict.fromkeys(paths):
        oid = commit.tree.get(path)
        if oid is None:
            continue
        data = ctx.state.blobs[oid]
        text = data.decode("utf-8", "replace")
        found.append(
            {
                "id": gid("Blob", oid),
                "oid": oid,
                "path": path,
                "name": path.rsplit("/", 1)[-1],
                "mode": "100755" if path in commit.executables else "100644",
                "size": len(data),
                "rawSize": len(data),
                "rawBlob": text,
                "rawTextBlob": None if b"\0" in data[:8000] else text,
                "webPath": f"/{full_path}/-/blob/{ref}/{path}",
            }
        )
    return found


def merge_requests(ctx: Context, project: Project, args: dict[str, Any]) -> dict[str, Any]:
    """`Project.mergeRequests`: MergeRequestsFinder with the arguments the tool uses (`sourceBranches`,
    `targetBranches`, `state`, `iids`), newest first as the resolver sorts by default (`created_desc`)
    [G:app/graphql/resolvers/project_merge_requests_resolver.rb, merge_requests_resolver.rb]. Read as
    the REST list reads it (the same visibility check, `readable_project` in routes/commits.py);
    `diffHeadSha` is the REST entity's `sha` (`diff_head_sha`) [G:lib/api/entities/merge_request_basic.rb]."""
    found = list(project.merge_requests)
    state = args.get("state")
    if state is not None and state != "all":
        found = [m for m in found if m.state == state]
    for argument, attribute in (("sourceBranches", "source_branch"), ("targetBranches", "target_branch")):
        if args.get(argument) is not None:
            found = [m for m in found if getattr(m, attribute) in args[argument]]
    if args.get("iids") is not None:
        found = [m for m in found if str(m.iid) in args["iids"]]
    found.sort(key=lambda m: (m.created_at, m.id), reverse=True)

    def node(mr: Any) -> dict[str, Any]:
        rest = mr_json(ctx.state, project, mr, ctx.origin)
        return {
            "id": gid("MergeRequest", mr.id),
            "iid": str(mr.iid),
            "title": mr.title,
            "description": mr.description,
            "state": mr.state,
            "draft": rest["draft"],
            "sourceBranch": mr.source_branch,
            "targetBranch": mr.target_branch,
            "diffHeadSha": rest["sha"],
            "webUrl": rest["web_url"],
        }

    return connection(found, node, args)
