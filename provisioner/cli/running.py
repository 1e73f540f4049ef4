"""One run of the engine from the command line: connected, interruptible, shown as it goes, reported,
and its exit code."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from provisioner.cli import common
from provisioner.cli.artifacts import Reports, Timer
from provisioner.cli.progress import Progress
from provisioner.cli.selection import Selection
from provisioner.engine import coverage
from provisioner.engine.run import run
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.model import Mode, RunResult
from provisioner.report import json_report, text, trend
from provisioner.report.style import paint, wants_colour
from provisioner.report.summary import summarise

log = logging.getLogger(__name__)


@contextmanager
def _stop_on_sigint() -> Iterator[threading.Event]:
    """First Ctrl-C: finish the projects in flight, start no new one. Second: stop at once."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        common.err("stopping: finishing the projects in flight (Ctrl-C again to abort)")
        log.info("stopping (SIGINT): finishing the projects in flight")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def execute(
    sel: Selection,
    mode: str,
    *,
    url: str | None,
    concurrency: int | None,
    options: PlanOptions,
    inventory_path: Path,
    max_rate: int | None = None,
    quiet: bool = False,
    expected: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    timer: Timer | None = None,
) -> tuple[RunResult, str]:
    timer = timer or Timer()
    cfg = common.settings(url, concurrency, max_rate)
    api = common.connect(cfg)
    ctx = ApplyContext(options=options, inventory_dir=common.inventory_dir(inventory_path))
    try:
        with (
            _stop_on_sigint() as stop,
            Progress(len(sel.projects) + len(sel.groups), mode, quiet=quiet) as progress,
        ):
            api.limiter.listeners.append(progress.waiting)
            result = run(
                api,
                (*sel.groups, *sel.projects),
                mode=Mode(mode),
                options=options,
                ctx=ctx,
                concurrency=cfg.concurrency,
                stop=stop,
                on_result=progress,
                expected=expected,
            )
    finally:
        api.close()
    if sel.uncovered or sel.blind:
        findings = (*map(coverage.not_seen, sel.blind), *map(coverage.not_covered, sel.uncovered))
        result = replace(result, projects=(*result.projects, *findings))
    return timer.stamp(result), cfg.gitlab_url


def report(
    result: RunResult, fmt: str, *, quiet: bool = False, trend: trend.Trend | None = None, **extra: Any
) -> None:
    if fmt == "json":
        for chunk in json_report.chunks(result, trend, **extra):
            common.out(chunk)
        return
    colour = wants_colour(sys.stdout)
    if quiet:
        common.out(paint(text.summary_lines(summarise(result), trend), colour), colour=colour)
    else:
        for chunk in text.chunks(result, colour=colour, trend=trend):
            common.out(chunk, colour=colour)


def write_json(path: Path, result: RunResult, **extra: Any) -> None:
    Reports(json=path).write(result, **extra)


def exit_code(result: RunResult, *, drift_code: int) -> int:
    """check: drift (awaiting merge requests included) is 2; plan: only changes left to make are."""
    if result.interrupted:
        return common.EXIT_INTERRUPTED
    if result.failed:
        return common.EXIT_ERROR
    differs = result.drift if result.mode == "check" else result.pending
    return drift_code if differs else common.EXIT_OK
