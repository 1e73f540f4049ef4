"""A whole run: every target (groups, then projects) with bounded concurrency, one shared API client.

Results stream to `on_result` as targets finish (progress display). When `stop` is set (SIGINT),
no new target starts; the ones in flight finish and are reported; the run says it was interrupted.
A KeyboardInterrupt while waiting (a second Ctrl-C) raises `Interrupted` naming the targets in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from provisioner.engine import prefetch as bulk
from provisioner.engine.worker import Job, process_target
from provisioner.errors import Interrupted
from provisioner.facets import ANCHORS, registered
from provisioner.facets.base import Anchor, ApplyContext, Facet, PlanOptions
from provisioner.gitlab import permissions
from provisioner.gitlab.api import GitLabApi
from provisioner.interning import Interner
from provisioner.inventory.spec import ProjectSpec, TargetSpec
from provisioner.model import Mode, ProjectResult, RunResult, TargetKind

# Projects whose bulk-read details (variables, runners, file hashes, ...) are read at a time, a window
# ahead of the workers: what the cache holds stays the same from 1,000 projects to 100,000.
WINDOW = 500


def run(
    api: GitLabApi,
    targets: Sequence[TargetSpec],
    *,
    mode: Mode,
    options: PlanOptions | None = None,
    ctx: ApplyContext | None = None,
    concurrency: int = 8,
    stop: threading.Event | None = None,
    on_result: Callable[[ProjectResult], None] = lambda result: None,
    facets: Sequence[Facet[Any]] | None = None,
    anchors: Mapping[TargetKind, Anchor] = ANCHORS,
    expected: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    prefetch: bool = True,
) -> RunResult:
    """`expected`: the approved plan, by target name (see `worker.process_target`)."""
    mode = Mode(mode)
    if mode is Mode.APPLY:
        permissions.require_write_scope(api)  # read_api: not one write is sent, all would fail
    working: Sequence[Facet[Any]] = registered() if facets is None else facets
    options = options or PlanOptions()
    ctx = ctx or ApplyContext(options=options)
    stop = stop or threading.Event()
    results: list[ProjectResult] = []
    # a bulk plan finds the same changes (and the same file diffs) in thousands of projects: held once
    alike = Interner()
    windows: dict[int, Future[Any]] = {}  # first index of a window -> its prefetch of details
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch-ahead")
    workers = min(concurrency, 4)

    def projects(window: Sequence[TargetSpec]) -> list[ProjectSpec]:
        return [t for t in window if isinstance(t, ProjectSpec)]

    def details_for(start: int) -> None:
        if start < len(targets):
            window = projects(targets[start : start + WINDOW])
            writing = mode is Mode.APPLY
            windows[start] = ahead.submit(
                bulk.prefetch_details, api, window, working, workers=workers, writing=writing
            )

    if prefetch and projects(targets) and not stop.is_set():
        # Read in bulk what the facets will ask for (see engine/prefetch): the entities of all projects
        # now (group listings are paged over whole groups), the details a window ahead of the workers.
        bulk.prefetch_entities(api, projects(targets), working, workers=workers)
        working = [bulk.Confirmed(f, options) for f in working]
        details_for(0)

    jobs = {
        kind: Job(anchor, [f for f in working if f.kind is kind], mode is Mode.APPLY, options, ctx)
        for kind, anchor in anchors.items()
    }
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="target")
    in_flight: dict[Future[ProjectResult], str] = {}
    started = 0
    try:
        while True:
            while len(in_flight) < concurrency and started < len(targets) and not stop.is_set():
                if started in windows:
                    windows.pop(started).result()  # this window's details are in the cache
                    details_for(started + WINDOW)
                spec = targets[started]
                started += 1
                approved = None if expected is None else expected.get(spec.name, [])
                future = pool.submit(process_target, api, spec, jobs[spec.kind], expected=approved)
                in_flight[future] = spec.name
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                del in_flight[future]
                result = alike.value(future.result().settled())
                results.append(result)
                on_result(result)
    except KeyboardInterrupt:
        # A second Ctrl-C: stop waiting, and say which targets may be left half-done.
        ahead.shutdown(wait=False, cancel_futures=True)
        pool.shutdown(wait=False, cancel_futures=True)
        raise Interrupted(sorted(in_flight.values())) from None
    ahead.shutdown(cancel_futures=True)
    pool.shutdown()

    order = {spec.name: i for i, spec in enumerate(targets)}
    results.sort(key=lambda r: (r.project in order, order.get(r.project, 0)))
    interrupted = stop.is_set() and started < len(targets)
    return RunResult(mode=mode, projects=tuple(results), interrupted=interrupted)
