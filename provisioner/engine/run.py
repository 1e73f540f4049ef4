"""A whole run: groups first, then projects with bounded concurrency, one shared API client.

Results stream to `on_result` as projects finish (progress display). When `stop` is set (SIGINT),
no new project starts; the ones in flight finish and are reported; the run says it was interrupted.
A KeyboardInterrupt while waiting (a second Ctrl-C) raises `Interrupted` naming the projects in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from provisioner.engine import prefetch as bulk
from provisioner.engine.worker import process_group, process_project
from provisioner.errors import Interrupted
from provisioner.facets import GROUP_FACETS, PROJECT_FACETS
from provisioner.facets.base import ApplyContext, Facet, GroupFacet, PlanOptions
from provisioner.gitlab.transport import GitLabApi
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import ProjectResult, RunResult

# Projects whose bulk-read details (variables, runners, file hashes, ...) are read at a time, a window
# ahead of the workers: what the cache holds stays the same from 1,000 projects to 100,000.
WINDOW = 500


def run(
    api: GitLabApi,
    projects: Sequence[ProjectSpec],
    groups: Sequence[GroupSpec] = (),
    *,
    mode: str,
    options: PlanOptions | None = None,
    ctx: ApplyContext | None = None,
    concurrency: int = 8,
    stop: threading.Event | None = None,
    on_result: Callable[[ProjectResult], None] = lambda result: None,
    facets: Sequence[Facet] = PROJECT_FACETS,
    group_facets: Sequence[GroupFacet] = GROUP_FACETS,
    expected: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    prefetch: bool = True,
) -> RunResult:
    options = options or PlanOptions()
    ctx = ctx or ApplyContext(options=options)
    stop = stop or threading.Event()
    apply = mode == "apply"
    results: list[ProjectResult] = []

    for group in groups:
        if stop.is_set():
            break
        try:
            result = process_group(api, group, group_facets, apply=apply, options=options, ctx=ctx)
        except KeyboardInterrupt:
            raise Interrupted([f"group {group.path}"]) from None
        results.append(result)
        on_result(result)

    windows: dict[int, Future[Any]] = {}  # first index of a window -> its prefetch of details
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch-ahead")
    workers = min(concurrency, 4)

    def details_for(start: int) -> None:
        if start < len(projects):
            window = projects[start : start + WINDOW]
            windows[start] = ahead.submit(bulk.prefetch_details, api, window, workers=workers)

    if prefetch and projects and not stop.is_set():
        # Read in bulk what the facets will ask for (see engine/prefetch): the entities of all projects
        # now (group listings are paged over whole groups), the details a window ahead of the workers.
        bulk.prefetch_entities(api, projects, workers=workers)
        facets = [bulk.Confirmed(f, options) for f in facets]
        details_for(0)

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="project")
    in_flight: dict[Future[ProjectResult], str] = {}
    started = 0
    try:
        while True:
            while len(in_flight) < concurrency and started < len(projects) and not stop.is_set():
                if started in windows:
                    windows.pop(started).result()  # this window's details are in the cache
                    details_for(started + WINDOW)
                spec = projects[started]
                started += 1
                future = pool.submit(
                    process_project,
                    api,
                    spec,
                    facets,
                    apply=apply,
                    options=options,
                    ctx=ctx,
                    expected=None if expected is None else expected.get(spec.path, []),
                )
                in_flight[future] = spec.path
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                del in_flight[future]
                result = future.result().settled()
                results.append(result)
                on_result(result)
    except KeyboardInterrupt:
        # A second Ctrl-C: stop waiting, and say which projects may be left half-done.
        ahead.shutdown(wait=False, cancel_futures=True)
        pool.shutdown(wait=False, cancel_futures=True)
        raise Interrupted(sorted(in_flight.values())) from None
    ahead.shutdown(cancel_futures=True)
    pool.shutdown()

    order = {spec.path: i for i, spec in enumerate(projects)}
    results.sort(key=lambda r: (r.project in order, order.get(r.project, 0)))
    interrupted = stop.is_set() and started < len(projects)
    return RunResult(mode=mode, projects=tuple(results), interrupted=interrupted)
