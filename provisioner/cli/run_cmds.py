"""`plan`, `apply` and `check`: load and validate everything, connect, run the engine, report."""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from provisioner import run_lock
from provisioner.cli import common, saved_plan
from provisioner.cli.artifacts import Reports, Timer, cause, failed_run
from provisioner.cli.progress import Progress
from provisioner.engine import coverage
from provisioner.engine.run import run
from provisioner.engine.select import in_shard, parse_shard, select
from provisioner.errors import ConfigError, InputError, InputProblem
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.inventory.spec import LoadedInventory
from provisioner.model import Mode, RunResult
from provisioner.report import json_report, text, trend
from provisioner.report.style import paint, wants_colour
from provisioner.report.summary import summarise

InventoryOpt = Annotated[Path, typer.Option("--inventory", "-i", help="The inventory file.")]
ProjectOpt = Annotated[
    list[str] | None,
    typer.Option("--project", "-p", help="Only these projects (full paths or globs); repeatable."),
]
ShardOpt = Annotated[
    str | None, typer.Option(help="Only shard K of N (K/N), e.g. $CI_NODE_INDEX/$CI_NODE_TOTAL.")
]
# A choice, so that a wrong --format is a usage error before anything is loaded or sent.
FormatOpt = Annotated[Literal["text", "json"], typer.Option("--format", "-f", help="text or json")]
ConcurrencyOpt = Annotated[int | None, typer.Option(help="Projects worked on at once (default 8).")]
# Text, checked by the command: a usage error's exit code (2) would say drift.
MaxRateOpt = Annotated[
    str | None,
    typer.Option(
        metavar="N",
        help="Send at most N requests per minute, below GitLab's own limit if it is higher, to keep "
        "part of the budget for people (default: $PROVISIONER_MAX_RATE; unset: GitLab's limit).",
    ),
]
UrlOpt = Annotated[str | None, typer.Option("--url", help="GitLab URL (default: $PROVISIONER_GITLAB_URL).")]
RotateOpt = Annotated[bool, typer.Option(help="Rewrite hidden variables' values and replace changed tokens.")]
log = logging.getLogger(__name__)
# Read by `common.boundary`, which sets logging up before the command runs.
DebugOpt = Annotated[bool, typer.Option(help="Debug logging (secret values are still scrubbed).")]
RequireSecretsOpt = Annotated[
    bool,
    typer.Option(
        help="Fail when a secret cannot be resolved (by default a read-only run compares everything "
        "else of such a variable and says its value was not verified)."
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Text output: only the summary block (failures named in it).")
]


@dataclass(frozen=True)
class Selection:
    inventory: LoadedInventory
    projects: Sequence[Any]
    groups: Sequence[Any]
    uncovered: Sequence[str] = ()  # under the inventory's groups, managed by nothing (a finding each)
    path: Path = Path("inventory.yaml")
    patterns: Sequence[str] = ()
    shard: tuple[int, int] | None = None
    require_secrets: bool = True
    blind: Sequence[str] = ()  # groups of coverage rules this token cannot see (a failure each)


def _select(
    inventory_path: Path,
    patterns: Sequence[str],
    shard: str | None,
    *,
    url: str | None = None,
    max_rate: int | None = None,
    require_secrets: bool = True,
) -> Selection:
    loaded = _loaded(inventory_path, patterns, shard, require_secrets=require_secrets)
    return _discovered(loaded, url, max_rate)


def _loaded(
    inventory_path: Path, patterns: Sequence[str], shard: str | None, *, require_secrets: bool
) -> Selection:
    """The loader validates everything and applies `--project`; `--shard` splits what it selected.
    Offline: the projects coverage rules bring are added by `_discovered`."""
    loaded = common.load(inventory_path, only=patterns, require_secrets=require_secrets)
    try:
        shard_spec = parse_shard(shard) if shard else None
    except ValueError as exc:
        common.fail(f"error: {exc}")
    return Selection(
        loaded,
        select(loaded.projects, (), shard_spec),
        select(loaded.groups, (), shard_spec),
        (),
        inventory_path,
        tuple(patterns),
        shard_spec,
        require_secrets,
    )


def _discovered(sel: Selection, url: str | None, max_rate: int | None = None) -> Selection:
    """When the inventory has groups, GitLab is asked which projects live under them (see
    `engine.coverage`): those coverage rules bring become targets, the others are findings."""
    loaded, patterns = sel.inventory, sel.patterns
    if not (loaded.coverage or (loaded.groups_named and loaded.uncovered == "report")):
        return sel
    found = _discover(loaded, url, max_rate)
    if found.covered:
        loaded = common.load(
            sel.path, only=patterns, require_secrets=sel.require_secrets, covered=found.covered
        )
    uncovered = [
        p for p in found.uncovered if not patterns or any(fnmatchcase(p.lower(), x.lower()) for x in patterns)
    ]
    unmatched = [x for x in loaded.deferred if not any(fnmatchcase(p.lower(), x.lower()) for p in uncovered)]
    if unmatched:
        problem = "no project or group matches '{}'"
        raise InputError([InputProblem(str(sel.path), 0, 0, "", problem.format(x)) for x in unmatched])
    blind = [
        g for g in found.blind if not patterns or any(fnmatchcase(g.lower(), x.lower()) for x in patterns)
    ]
    if sel.shard is not None:
        uncovered = [p for p in uncovered if in_shard(p, *sel.shard)]
        blind = [g for g in blind if in_shard(g, *sel.shard)]
    return replace(
        sel,
        inventory=loaded,
        projects=select(loaded.projects, (), sel.shard),
        groups=select(loaded.groups, (), sel.shard),
        uncovered=uncovered,
        blind=blind,
    )


def _discover(loaded: LoadedInventory, url: str | None, max_rate: int | None) -> coverage.Found:
    api = common.connect(common.settings(url, max_rate=max_rate))
    try:
        found = coverage.discover(api, loaded)
    finally:
        api.close()
    for group in (g for g in found.unseen if g not in found.blind):
        common.err(
            f"warning: group {group} of the inventory is not visible to this token: its projects are not looked for"
        )
    return found


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


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        inventory: InventoryOpt = Path("inventory.yaml"),
        project: ProjectOpt = None,
        shard: ShardOpt = None,
        format: FormatOpt = "text",
        out: Annotated[Path | None, typer.Option(help="Save the plan (JSON) for `apply --plan`.")] = None,
        detailed_exitcode: Annotated[
            bool, typer.Option(help="Exit 2 when there are pending changes.")
        ] = False,
        concurrency: ConcurrencyOpt = None,
        max_rate: MaxRateOpt = None,
        rotate: RotateOpt = False,
        url: UrlOpt = None,
        quiet: QuietOpt = False,
        require_secrets: RequireSecretsOpt = False,
        debug: DebugOpt = False,
    ) -> None:
        """Show what apply would change. Reads only."""
        timer = Timer()
        rate = common.max_rate(max_rate)
        sel = _select(
            inventory, project or [], shard, url=url, max_rate=rate, require_secrets=require_secrets
        )
        options = PlanOptions(rotate=rotate)
        result, gitlab_url = execute(
            sel,
            "plan",
            url=url,
            concurrency=concurrency,
            max_rate=rate,
            options=options,
            inventory_path=inventory,
            timer=timer,
        )
        extra: dict[str, Any] = {
            "gitlab_url": gitlab_url,
            "inventory_digest": sel.inventory.digest,
            "rotate": rotate,
        }
        report(result, format, quiet=quiet, **extra)
        if out is not None:
            targets = (*sel.groups, *sel.projects)
            write_json(out, result, **extra, **saved_plan.extras(targets, project or [], shard, result))
        raise typer.Exit(
            exit_code(result, drift_code=common.EXIT_DRIFT if detailed_exitcode else common.EXIT_OK)
        )

    @app.command()
    def apply(
        inventory: InventoryOpt = Path("inventory.yaml"),
        project: ProjectOpt = None,
        shard: ShardOpt = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
        plan: Annotated[
            Path | None, typer.Option("--plan", help="Apply a plan saved by `plan --out`.")
        ] = None,
        wait: Annotated[
            bool, typer.Option(help="Wait for another apply of this inventory to finish instead of stopping.")
        ] = False,
        format: FormatOpt = "text",
        concurrency: ConcurrencyOpt = None,
        max_rate: MaxRateOpt = None,
        rotate: RotateOpt = False,
        url: UrlOpt = None,
        quiet: QuietOpt = False,
        debug: DebugOpt = False,
    ) -> None:
        """Make GitLab match the inventory, then verify that it does. One apply of an inventory at a time."""
        rate = common.max_rate(max_rate)
        saved = saved_plan.read(plan) if plan is not None else None
        patterns = project or []
        if saved is not None:  # the plan's selection, as it was made
            patterns, shard = saved_plan.selection(saved, patterns, shard)
        timer = Timer()
        sel = _select(inventory, patterns, shard, url=url, max_rate=rate)
        gitlab_url = common.settings(url).gitlab_url
        lock = run_lock.lock_path(inventory, gitlab_url)
        with run_lock.held(lock, wait=wait, waiting=_waiting):
            result = _apply(
                sel,
                saved,
                yes=yes,
                url=url,
                concurrency=concurrency,
                max_rate=rate,
                rotate=rotate,
                inventory=inventory,
                quiet=quiet,
                timer=timer if saved is not None or yes else None,  # a confirmation's wait is not the run's
            )
        report(result, format, quiet=quiet)
        raise typer.Exit(exit_code(result, drift_code=common.EXIT_OK))

    @app.command()
    def check(
        inventory: InventoryOpt = Path("inventory.yaml"),
        project: ProjectOpt = None,
        shard: ShardOpt = None,
        format: FormatOpt = "text",
        junit_file: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report.")] = None,
        json_file: Annotated[Path | None, typer.Option("--json", help="Write a JSON report.")] = None,
        html_file: Annotated[
            Path | None, typer.Option("--html", help="Write an HTML report (one self-contained page).")
        ] = None,
        baseline: Annotated[
            Path | None,
            typer.Option(help="A previous `check --json` report: mark findings new, persisting or fixed."),
        ] = None,
        concurrency: ConcurrencyOpt = None,
        max_rate: MaxRateOpt = None,
        url: UrlOpt = None,
        quiet: QuietOpt = False,
        require_secrets: RequireSecretsOpt = False,
        debug: DebugOpt = False,
    ) -> None:
        """Compliance: report drift (exit 2) without changing anything. Works with a read_api token and
        without the inventory's secrets (their values are then not verified)."""
        timer = Timer()
        reports = Reports(junit_file, json_file, html_file)
        targets: list[str] = []
        try:
            rate = common.max_rate(max_rate)
            previous = trend.load_baseline(baseline) if baseline is not None else None
            sel = _loaded(inventory, project or [], shard, require_secrets=require_secrets)
            targets = [f"group {g.path}" for g in sel.groups] + [p.path for p in sel.projects]
            sel = _discovered(sel, url, rate)
            result, gitlab_url = execute(
                sel,
                "check",
                url=url,
                concurrency=concurrency,
                max_rate=rate,
                options=PlanOptions(),
                inventory_path=inventory,
                timer=timer,
            )
        except typer.Exit:
            raise  # a usage error, said on the console
        except (Exception, KeyboardInterrupt) as exc:
            # The reports say why nothing was checked; the boundary says it on the console and exits.
            try:
                reports.write(timer.stamp(failed_run(targets, cause(exc))), gitlab_url=_url_or_none(url))
            except ConfigError as unwritable:
                common.err(f"error: {unwritable}")  # said, and the first error still decides
            raise
        found = (
            trend.compare(trend.findings(result), previous, str(baseline)) if previous is not None else None
        )
        report(result, format, quiet=quiet, trend=found)
        reports.write(result, trend=found, gitlab_url=gitlab_url)
        raise typer.Exit(exit_code(result, drift_code=common.EXIT_DRIFT))


def _url_or_none(url: str | None) -> str | None:
    try:
        return common.settings(url).gitlab_url
    except Exception:  # the settings are what failed: the report goes without the URL
        return url


def _waiting(holder: run_lock.Holder | None) -> None:
    common.err(f"waiting for the apply that holds the run lock ({holder or 'starting'}) to finish")


def _apply(
    sel: Selection,
    saved: saved_plan.SavedPlan | None,
    *,
    yes: bool,
    url: str | None,
    concurrency: int | None,
    max_rate: int | None,
    rotate: bool,
    inventory: Path,
    quiet: bool = False,
    timer: Timer | None = None,
) -> RunResult:
    """What `apply` does once it holds the run lock: check what was approved (a saved plan, or the plan
    shown and confirmed), then apply exactly that."""
    options = PlanOptions(rotate=rotate)
    expected: dict[str, list[Mapping[str, Any]]] | None = None
    run = functools.partial(
        execute, sel, url=url, concurrency=concurrency, max_rate=max_rate, inventory_path=inventory
    )
    if saved is not None:
        targets = (*sel.groups, *sel.projects)
        saved_plan.check_inputs(saved, targets, common.settings(url).gitlab_url, sel.inventory.digest)
        options = saved.options
        now, _ = run("plan", options=options, quiet=True)
        if now.interrupted:
            common.fail("interrupted while checking the plan; nothing was written", common.EXIT_INTERRUPTED)
        saved_plan.check_changes(saved, now)  # refused whole, before anything is written
        expected = saved.expected
    elif not yes:
        if not common.is_tty():
            common.fail("error: apply asks for confirmation; pass --yes when not on a terminal")
        shown, _ = run("plan", options=options)
        report(shown, "text", quiet=quiet)
        if not shown.pending:
            raise typer.Exit(exit_code(shown, drift_code=common.EXIT_OK))
        if not typer.confirm("Apply these changes?", default=False):
            common.fail("nothing applied.", common.EXIT_OK)
        expected = {p.project: [c.public() for c in p.pending] for p in shown.projects}
    result, _ = run("apply", options=options, expected=expected, timer=timer)
    return result
