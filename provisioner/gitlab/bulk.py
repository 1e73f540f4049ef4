"""Bulk prefetch: before the project loop, fill the run cache with as few requests as possible.

1. Project entities from group listings (`GET /groups/:id/projects?include_subgroups=true&
   with_shared=false&per_page=100`, REFERENCE 2.2): one request per 100 projects, carrying every REST
   attribute the settings, runners and registry facets compare. A group is listed only while that is
   cheaper than reading its selected projects one by one: its first page says how many pages follow.
2. GraphQL (REFERENCE 3) for what it can read of many projects at once: up to 50 projects per query
   (`projects(fullPaths:)` takes at most 50), the areas packed into as few queries as GitLab's
   complexity limit allows, as this server's version has them (`graphql_batches`: what a refused,
   failed or timed-out query becomes).

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
from provisioner.gitlab.graphql_batches import GraphqlStats, query_all
from provisioner.gitlab.graphql_reads import Wanted
from provisioner.gitlab.transport import encode

log = logging.getLogger(__name__)

__all__ = ["PrefetchStats", "Wanted", "prefetch"]

PER_PAGE = 100
WAVE = 4  # pages asked at once when GitLab does not say how many there are


@dataclass
class PrefetchStats(GraphqlStats):
    listing_pages: int = 0
    listed_projects: int = 0


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
            query_all(api, wanted, pool, stats, workers)
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
