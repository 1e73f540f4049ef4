"""Bulk prefetch: before the project loop, fill the run cache with as few requests as possible.

1. Project entities from group listings (`GET /groups/:id/projects?include_subgroups=true&
   with_shared=false&per_page=100`, REFERENCE 2.2): one request per 100 projects, carrying every REST
   attribute the settings, runners and registry facets compare. A group is listed only while that is
   cheaper than reading its selected projects one by one: its first page says how many pages follow.
2. GraphQL (REFERENCE 3) for what it can read of many projects at once: up to 50 projects per query
   (`projects(fullPaths:)` takes at most 50), the areas packed into as few queries as GitLab's
   complexity limit allows. A query refused for its complexity is split in two and asked again.

Everything here is an optimisation: whatever is not cached (a failed request, a nested list longer
than a page, a field the token may not see) is read by the area's REST reader as usual.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from provisioner.errors import GitLabError
from provisioner.gitlab import cache, job_tokens
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_files import BLOBS
from provisioner.gitlab.graphql_members import MEMBERS_READ
from provisioner.gitlab.graphql_reads import AREAS, Read, Wanted, numeric_id
from provisioner.gitlab.transport import encode

log = logging.getLogger(__name__)

__all__ = ["PrefetchStats", "Wanted", "prefetch"]

READS: dict[str, Read] = {read.name: read for read in (*AREAS, BLOBS, MEMBERS_READ)}
MAX_FULL_PATHS = 50  # Query.projects(fullPaths:) [G:app/graphql/resolvers/projects_resolver.rb]
PER_PAGE = 100
WAVE = 4  # pages asked at once when GitLab does not say how many there are


@dataclass
class PrefetchStats:
    listing_pages: int = 0
    listed_projects: int = 0
    graphql_queries: int = 0
    graphql_projects: int = 0
    queries_split: int = 0  # queries GitLab refused for their complexity, asked again in two


def prefetch(api: GitLabApi, wanted: Sequence[Wanted], *, workers: int = 4) -> PrefetchStats:
    """Both steps for all of `wanted` at once."""
    stats = prefetch_entities(api, wanted, workers=workers)
    prefetch_details(api, wanted, workers=workers, stats=stats)
    return stats


def prefetch_entities(api: GitLabApi, wanted: Sequence[Wanted], *, workers: int = 4) -> PrefetchStats:
    """Step 1 (project entities from group listings), and the ids behind the paths projects name.
    Done for the whole run at once: a group's listing pages cover every project below it."""
    stats = PrefetchStats()
    if wanted:
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="prefetch") as pool:
            _list_groups(api, [w.path for w in wanted], pool, stats)
            _resolve_ids(api, wanted, pool)
    return stats


def prefetch_details(
    api: GitLabApi, wanted: Sequence[Wanted], *, workers: int = 4, stats: PrefetchStats | None = None
) -> PrefetchStats:
    """Step 2 (GraphQL): may be done a window of projects at a time, just ahead of the workers."""
    stats = stats if stats is not None else PrefetchStats()
    if wanted:
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="prefetch") as pool:
            _query_graphql(api, wanted, pool, stats)
    return stats


# -- group listings ------------------------------------------------------------------------------
def listing_plan(paths: Iterable[str]) -> dict[str, list[str]]:
    """Group to list -> the selected projects below it: per top-level group, the deepest group that
    holds all of its selected projects; only where at least two are selected (else a GET is as cheap)."""
    by_top: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        if "/" in path:
            by_top[path.split("/", 1)[0]].append(path)
    plan = {}
    for members in by_top.values():
        if len(members) < 2:
            continue
        namespaces = [m.rsplit("/", 1)[0].split("/") for m in members]
        common = namespaces[0]
        for parts in namespaces[1:]:
            same = 0
            while same < min(len(common), len(parts)) and common[same] == parts[same]:
                same += 1
            common = common[:same]
        plan["/".join(common)] = members
    return plan


def _list_groups(
    api: GitLabApi, paths: Sequence[str], pool: ThreadPoolExecutor, stats: PrefetchStats
) -> None:
    plan = listing_plan(paths)
    for group, members in plan.items():
        try:
            _list_group(api, group, set(members), pool, stats)
        except GitLabError as exc:
            log.info("prefetch: listing %s failed (%s); projects are read one by one", group, exc)


def _list_group(
    api: GitLabApi, group: str, members: set[str], pool: ThreadPoolExecutor, stats: PrefetchStats
) -> None:
    path = f"/groups/{encode(group)}/projects"
    params = {
        "include_subgroups": "true",
        "with_shared": "false",
        "per_page": PER_PAGE,
        "order_by": "id",
        "sort": "asc",
    }
    lock = threading.Lock()
    remaining = set(members)

    def keep(items: Sequence[Any]) -> None:
        with lock:
            stats.listing_pages += 1
            for entity in items:
                full_path = str(entity.get("path_with_namespace", ""))
                if full_path in remaining:
                    remaining.discard(full_path)
                    cache.listed(api, entity)
                    stats.listed_projects += 1

    items, total_pages = api.list_page(path, 1, **params)
    keep(items)
    if total_pages is not None:
        rest = range(2, total_pages + 1)
        if len(rest) <= len(remaining):  # else reading the missing projects one by one is cheaper
            for listed in pool.map(lambda n: api.list_page(path, n, **params)[0], rest):
                keep(listed)
        return
    # More than 10,000 projects: GitLab does not say how many pages; read on while it pays.
    next_page, full = 2, len(items) == PER_PAGE
    while full and len(remaining) > PER_PAGE:
        wave = range(next_page, next_page + WAVE)
        pages = list(pool.map(lambda n: api.list_page(path, n, **params)[0], wave))
        for listed in pages:
            keep(listed)
        next_page += WAVE
        full = all(len(p) == PER_PAGE for p in pages)


# -- paths to ids, once per run ------------------------------------------------------------------
def _resolve_ids(api: GitLabApi, wanted: Sequence[Wanted], pool: ThreadPoolExecutor) -> None:
    """Remember the ids behind the paths many projects name, before the workers all ask at once
    (the keys are those of `provisioner.gitlab.job_tokens`)."""
    groups = sorted({g for w in wanted for g in w.group_ids})
    named_projects = sorted({p for w in wanted for p in w.project_ids})

    def group(path: str) -> None:
        with suppress(GitLabError):  # the facet asks again, and reports what fails
            job_tokens.group_id_of(api, path)

    def project(path: str) -> None:
        with suppress(GitLabError):
            job_tokens.project_id_of(api, path)

    list(pool.map(group, groups))
    list(pool.map(project, named_projects))


# -- GraphQL -------------------------------------------------------------------------------------
class _Layouts:
    """How the reads are split into queries so that each stays under GitLab's complexity limit;
    learned from the first refusal, shared by every batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[frozenset[str], list[list[str]]] = {}

    def get(self, reads: Sequence[str]) -> list[list[str]]:
        with self._lock:
            return [list(g) for g in self._known.get(frozenset(reads), [list(reads)])]

    def split(self, reads: Sequence[str], group: Sequence[str]) -> list[list[str]]:
        with self._lock:
            layout = self._known.get(frozenset(reads), [list(reads)])
            if list(group) in layout and len(group) > 1:
                half = len(group) // 2
                at = layout.index(list(group))
                layout[at : at + 1] = [list(group[:half]), list(group[half:])]
                self._known[frozenset(reads)] = layout
            return [list(g) for g in layout]


def _query_graphql(
    api: GitLabApi, wanted: Sequence[Wanted], pool: ThreadPoolExecutor, stats: PrefetchStats
) -> None:
    batches: dict[tuple[str, ...], list[Wanted]] = defaultdict(list)
    for item in wanted:
        reads = tuple(sorted(r for r in item.reads if r in READS))
        if reads:
            batches[reads].append(item)
    layouts = _Layouts()
    jobs = [
        (reads, members[i : i + MAX_FULL_PATHS])
        for reads, members in batches.items()
        for i in range(0, len(members), MAX_FULL_PATHS)
    ]
    failed = threading.Event()

    def run(job: tuple[tuple[str, ...], list[Wanted]]) -> None:
        reads, batch = job
        pending = layouts.get(reads)
        while pending and not failed.is_set():
            group = pending.pop(0)
            _ask(group, batch, reads, pending)

    def _ask(group: list[str], batch: list[Wanted], reads: tuple[str, ...], pending: list[list[str]]) -> None:
        outcome = _query(api, group, batch, stats)
        if outcome == "too_complex" and len(group) > 1:
            stats.queries_split += 1
            layout = layouts.split(reads, group)
            pending[:0] = [g for g in layout if set(g) <= set(group)]
        elif outcome == "too_complex" and len(batch) > 1:
            # One read alone is too complex (many blob paths): fewer projects per query.
            stats.queries_split += 1
            half = len(batch) // 2
            _ask(group, batch[:half], reads, pending)
            _ask(group, batch[half:], reads, pending)
        elif outcome == "failed":
            failed.set()

    if jobs:
        run(jobs[0])  # alone first: a refusal for complexity is learnt once, not by every worker
        list(pool.map(run, jobs[1:]))


def _query(api: GitLabApi, names: Sequence[str], batch: Sequence[Wanted], stats: PrefetchStats) -> str:
    reads = [READS[n] for n in names]
    paths = [w.path for w in batch]
    variables: dict[str, Any] = {"paths": paths, "n": len(paths)}
    if any(r.name == "blobs" for r in reads):
        variables["blobPaths"] = sorted({p for w in batch for p in w.blob_paths})
    query = build_query(reads)
    try:
        answer = api.graphql(query, variables)
    except GitLabError as exc:
        log.info("prefetch: GraphQL unavailable (%s); reading over REST", exc)
        return "failed"
    stats.graphql_queries += 1
    data = (answer or {}).get("data") or {}
    if not data.get("projects"):
        messages = " ".join(str(e.get("message")) for e in (answer or {}).get("errors") or ())
        if "complexity" in messages:
            return "too_complex"
        log.info("prefetch: GraphQL answered no data (%s)", messages or "no message")
        return "failed"
    by_path = {w.path.lower(): w for w in batch}
    for node in data["projects"].get("nodes") or ():
        if node is None:
            continue
        asked = by_path.get(str(node.get("fullPath", "")).lower())
        if asked is None:
            continue  # not a project of this batch: nothing says what it was asked for
        project_id = numeric_id(node["id"])
        admin = bool((node.get("userPermissions") or {}).get("adminProject"))
        for read in reads:
            if admin or not read.needs_maintainer:
                read.store(api.cache, project_id, node, asked)
        stats.graphql_projects += 1
    return "ok"


def build_query(reads: Sequence[Read]) -> str:
    declared = {"paths": "[String!]!", "n": "Int"}
    for read in reads:
        declared.update(read.variables)
    arguments = ", ".join(f"${name}: {kind}" for name, kind in declared.items())
    selections = " ".join(r.selection for r in reads)
    return (
        f"query({arguments}) {{ projects(fullPaths: $paths, first: $n) {{ nodes {{ "
        f"id fullPath userPermissions {{ adminProject }} {selections} }} }} }}"
    )
