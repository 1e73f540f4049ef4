"""What GitLab's GraphQL API can read for many projects at once, and how each answer is cached.

Each `Read` is one area's part of a bulk query: a selection on `Project` and a function that turns the
project's node into the records the area's REST reader would have returned, under the same cache key
(`variables`, `runners`, ...). A read that cannot tell the whole truth for a project (a nested list
with more than one page, a field the token may not see) caches nothing for it: the REST reader then
asks GitLab as usual. Field names are GitLab's [G:app/graphql/types/project_type.rb and the types it
names; REFERENCE 3].

What GraphQL does not offer stays on REST: the project entity's CI attributes (from the group
listing), protected tags and environments, deploy tokens and keys, approvals, the push rule, hooks.
Members, pipeline schedules and the files facet's merge request have reads of their own modules
(graphql_members, graphql_schedules, graphql_proposals), in the same batches (graphql_batches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from provisioner.gitlab.cache import RunCache
from provisioner.gitlab.job_tokens import OWN
from provisioner.gitlab.protection import BranchRule
from provisioner.gitlab.registry import ContainerRule, PackageRule
from provisioner.gitlab.runners import RunnerRecord
from provisioner.gitlab.variables import to_record
from provisioner.gitlab_versions import Version, available

PAGE = "pageInfo { hasNextPage }"
# ProtectedRefAccess.human_access_levels: an entry with another description names a user, a group or
# a deploy key (Premium), which the REST reader leaves out too [G:app/models/concerns/protected_ref_access.rb].
ROLE_DESCRIPTIONS = {0: "No one", 30: "Developers + Maintainers", 40: "Maintainers", 60: "Instance admins"}


@dataclass(frozen=True)
class BulkReads:
    """What a facet will take from bulk reads for one project: reads by name (`Read.name`), and for the
    `blobs` read the files at the default branch (see `Wanted`)."""

    reads: frozenset[str] = frozenset()
    blob_paths: tuple[str, ...] = ()
    blob_texts: Mapping[str, str | None] = field(default_factory=dict)
    proposal_branches: tuple[str, ...] = ()  # for the `proposals` read: source branches of merge requests

    def __or__(self, other: BulkReads) -> BulkReads:
        return BulkReads(
            self.reads | other.reads,
            tuple(dict.fromkeys((*self.blob_paths, *other.blob_paths))),
            {**self.blob_texts, **other.blob_texts},
            tuple(dict.fromkeys((*self.proposal_branches, *other.proposal_branches))),
        )


@dataclass(frozen=True)
class Wanted:
    """One selected project and the bulk reads its facets will consume."""

    path: str
    reads: frozenset[str] = frozenset()
    blob_paths: tuple[str, ...] = ()  # files read at the default branch (the `blobs` read)
    # Of those, the files whose text the files facet may read; with the sha256 of their rendering, the
    # text is not kept when the file equals it (None: always kept). Other files: their hash is enough.
    blob_texts: Mapping[str, str | None] = field(default_factory=dict)
    group_ids: tuple[str, ...] = ()  # group paths whose ids the facets need (job token allowlists)
    project_ids: tuple[str, ...] = ()  # project paths likewise
    proposal_branches: tuple[str, ...] = ()  # source branches whose open merge requests are read


Store = Callable[[RunCache, int, Mapping[str, Any], Wanted], None]
"""store(cache, project id, the project's node, what was asked for that project)"""


@dataclass(frozen=True)
class Read:
    name: str
    selection: str
    store: Store
    needs_maintainer: bool = True
    variables: Mapping[str, str] = field(default_factory=dict)  # name -> GraphQL type, for the query
    # Fields of `selection` that not every GitLab has, by the version table's feature name: one unknown
    # field fails the whole query, so a server without one is not asked for it (its store reads None).
    gated: Mapping[str, str] = field(default_factory=dict)
    # Asked only in a run that writes (apply): what a facet looks at only before writing, or on drift,
    # which a run that writes nothing finds in few projects (a REST read each) and pays for in every query.
    when_writing: bool = False

    def selection_for(self, server: Version) -> str:
        """`selection` without the gated fields this server lacks."""
        missing = {name for name, feature in self.gated.items() if not available(feature, server)}
        return " ".join(word for word in self.selection.split() if word not in missing)


def numeric_id(global_id: str) -> int:
    """`gid://gitlab/Project/42` -> 42."""
    return int(str(global_id).rsplit("/", 1)[-1])


def complete(connection: Any) -> TypeGuard[Mapping[str, Any]]:
    """A connection GraphQL answered in full (no next page)."""
    return connection is not None and not (connection.get("pageInfo") or {}).get("hasNextPage")


# -- variables -----------------------------------------------------------------------------------
def _store_variables(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("ciVariables")
    if not complete(found):
        return
    records = tuple(
        to_record(
            {
                "key": v["key"],
                "value": v.get("value"),
                "environment_scope": v.get("environmentScope"),
                "variable_type": str(v.get("variableType") or "ENV_VAR").lower(),
                "masked": v.get("masked"),
                "hidden": v.get("hidden"),
                "protected": v.get("protected"),
                "raw": v.get("raw"),
                "description": v.get("description"),
            }
        )
        for v in found["nodes"]
    )
    cache.put(project_id, "variables", records)


VARIABLES = Read(
    "variables",
    f"ciVariables(first: 100) {{ {PAGE} nodes {{ key value variableType environmentScope protected masked "
    "hidden raw description } }",
    _store_variables,
    gated={"hidden": "graphql:CiProjectVariable.hidden"},
)


# -- job token scope -----------------------------------------------------------------------------
def _store_job_token(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    settings = node.get("ciCdSettings")
    if settings is not None and settings.get("inboundJobTokenScopeEnabled") is not None:
        # The project's own setting, not what GitLab enforces: an instance may enforce the allowlist for
        # every project (GitLab 17.6+) and only REST says so (provisioner.gitlab.job_tokens).
        cache.put(project_id, OWN, settings["inboundJobTokenScopeEnabled"])
    scope = node.get("ciJobTokenScope")
    if scope is None:
        return
    projects, groups = scope.get("inboundAllowlist"), scope.get("groupsAllowlist")
    if complete(projects) and complete(groups):
        cache.put(
            project_id,
            "job_token_allowlist",
            tuple(
                {"id": numeric_id(p["id"]), "path_with_namespace": p["fullPath"]} for p in projects["nodes"]
            ),
        )
        cache.put(
            project_id,
            "job_token_groups_allowlist",
            tuple({"id": numeric_id(g["id"]), "full_path": g["fullPath"]} for g in groups["nodes"]),
        )


JOB_TOKEN = Read(
    "job_token",
    "ciCdSettings { inboundJobTokenScopeEnabled } "
    f"ciJobTokenScope {{ inboundAllowlist(first: 100) {{ {PAGE} nodes {{ id fullPath }} }} "
    f"groupsAllowlist(first: 100) {{ {PAGE} nodes {{ id fullPath }} }} }}",
    _store_job_token,
)


# -- runners -------------------------------------------------------------------------------------
def runner_record(project_id: int, runner: Mapping[str, Any]) -> RunnerRecord:
    owner = runner.get("ownerProject")
    owner_id = numeric_id(owner["id"]) if owner else None
    # GitLab lists a runner's owner first; this project is one of its projects too.
    project_ids = tuple(dict.fromkeys(i for i in (owner_id, project_id) if i is not None))
    return RunnerRecord(
        id=numeric_id(runner["id"]),
        description=str(runner.get("description") or ""),
        runner_type=str(runner["runnerType"]).lower(),
        paused=bool(runner.get("paused")),
        tags=tuple(sorted(set(runner.get("tagList") or ()))),
        run_untagged=bool(runner.get("runUntagged", True)),
        locked=bool(runner.get("locked")),
        access_level=str(runner.get("accessLevel") or "NOT_PROTECTED").lower(),
        maximum_timeout=runner.get("maximumTimeout"),
        maintenance_note=runner.get("maintenanceNote") or None,
        project_ids=project_ids,
        contacted=bool(runner.get("contactedAt")),
    )


def _store_runners(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("runners")
    if complete(found):
        cache.put(project_id, "runners", tuple(runner_record(project_id, r) for r in found["nodes"]))


RUNNERS = Read(
    "runners",
    f"runners(type: PROJECT_TYPE, first: 100) {{ {PAGE} nodes {{ id description runnerType paused tagList "
    "runUntagged locked accessLevel maximumTimeout maintenanceNote contactedAt ownerProject { id } } }",
    _store_runners,
)


# -- protected branches --------------------------------------------------------------------------
def role_levels(entries: Sequence[Mapping[str, Any]]) -> frozenset[int]:
    return frozenset(
        int(e["accessLevel"])
        for e in entries
        if ROLE_DESCRIPTIONS.get(int(e["accessLevel"])) == e.get("accessLevelDescription")
    )


def _store_branches(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("branchRules")
    if not complete(found):
        return
    rules = []
    for rule in found["nodes"]:
        protection = rule.get("branchProtection")
        if protection is None:
            continue  # "All branches" and similar targets (Premium) protect nothing by name
        push, merge = protection.get("pushAccessLevels"), protection.get("mergeAccessLevels")
        if not (complete(push) and complete(merge)):
            return
        rules.append(
            BranchRule(
                name=str(rule["name"]),
                push=role_levels(push["nodes"]),
                merge=role_levels(merge["nodes"]),
                unprotect=None,  # GraphQL (CE) does not show unprotect levels, as REST on CE
                allow_force_push=bool(protection.get("allowForcePush")),
            )
        )
    cache.put(project_id, "protected_branches", tuple(rules))


_LEVELS = f"{PAGE} nodes {{ accessLevel accessLevelDescription }}"
PROTECTED_BRANCHES = Read(
    "protected_branches",
    f"branchRules(first: 100) {{ {PAGE} nodes {{ name branchProtection {{ allowForcePush "
    f"pushAccessLevels {{ {_LEVELS} }} mergeAccessLevels {{ {_LEVELS} }} }} }} }}",
    _store_branches,
)


# -- registry protection rules -------------------------------------------------------------------
def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def _store_package_rules(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("packagesProtectionRules")
    if complete(found):
        cache.put(
            project_id,
            "package_protection_rules",
            tuple(
                PackageRule(
                    id=numeric_id(r["id"]),
                    package_name_pattern=str(r["packageNamePattern"]),
                    package_type=str(r["packageType"]).lower(),
                    minimum_access_level_for_push=_lower(r.get("minimumAccessLevelForPush")),
                    minimum_access_level_for_delete=_lower(r.get("minimumAccessLevelForDelete")),
                )
                for r in found["nodes"]
            ),
        )


PACKAGE_RULES = Read(
    "package_rules",
    f"packagesProtectionRules(first: 100) {{ {PAGE} nodes {{ id packageNamePattern packageType "
    "minimumAccessLevelForPush minimumAccessLevelForDelete } }",
    _store_package_rules,
    gated={"minimumAccessLevelForDelete": "graphql:PackagesProtectionRule.minimumAccessLevelForDelete"},
)


def _store_container_rules(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("containerProtectionRepositoryRules")
    if complete(found):
        cache.put(
            project_id,
            "container_protection_rules",
            tuple(
                ContainerRule(
                    id=numeric_id(r["id"]),
                    repository_path_pattern=str(r["repositoryPathPattern"]),
                    minimum_access_level_for_push=_lower(r.get("minimumAccessLevelForPush")),
                    minimum_access_level_for_delete=_lower(r.get("minimumAccessLevelForDelete")),
                )
                for r in found["nodes"]
            ),
        )


CONTAINER_RULES = Read(
    "container_rules",
    f"containerProtectionRepositoryRules(first: 100) {{ {PAGE} nodes {{ id repositoryPathPattern "
    "minimumAccessLevelForPush minimumAccessLevelForDelete } }",
    _store_container_rules,
)


AREAS: tuple[Read, ...] = (VARIABLES, JOB_TOKEN, RUNNERS, PROTECTED_BRANCHES, PACKAGE_RULES, CONTAINER_RULES)
