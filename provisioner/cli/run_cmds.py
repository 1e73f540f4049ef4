"""`plan`, `apply` and `check`: load and validate everything, connect, run the engine, report."""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from provisioner import run_lock
from provisioner.cli import common, saved_plan
from provisioner.cli.progress import Progress
from provisioner.engine.run import run
from provisioner.engine.select import parse_shard, select
from provisioner.facets import inventory_sections
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.inventory import load_inventory
from provisioner.inventory.spec import LoadedInventory
from provisioner.model import Mode, RunResult
from provisioner.report import json_report, junit, text

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
UrlOpt = Annotated[str | None, typer.Option("--url", help="GitLab URL (default: $PROVISIONER_GITLAB_URL).")]
RotateOpt = Annotated[bool, typer.Option(help="Rewrite hidden variables' values and replace changed tokens.")]
# Read by `common.boundary`, which sets logging up before the command runs.
DebugOpt = Annotated[bool, typer.Option(help="Debug logging (secret values are still scrubbed).")]


@dataclass(frozen=True)
class Selection:
    inventory: LoadedInventory
    projects: Sequence[Any]
    groups: Sequence[Any]


def _select(inventory_path: Path, patterns: Sequence[str], shard: str | None) -> Selection:
    """The loader validates everything and applies `--project`; `--shard` splits what it selected."""
    loaded = load_inventory(inventory_path, only=patterns, sections=inventory_sections())
    try:
        shard_spec = parse_shard(shard) if shard else None
    except ValueError as exc:
        common.fail(f"error: {exc}")
    return Selection(loaded, select(loaded.projects, (), shard_spec), select(loaded.groups, (), shard_spec))


@contextmanager
def _stop_on_sigint() -> Iterator[threading.Event]:
    """First Ctrl-C: finish the projects in flight, start no new one. Second: stop at once."""
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        common.err("stopping: finishing the projects in flight (Ctrl-C again to abort)")

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
    quiet: bool = False,
    expected: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> tuple[RunResult, str]:
    cfg = common.settings(url, concurrency)
    api = common.connect(cfg)
    ctx = ApplyContext(options=options, inventory_dir=common.inventory_dir(inventory_path))
    try:
        with (
            _stop_on_sigint() as stop,
            Progress(len(sel.projects) + len(sel.groups), mode, quiet=quiet) as progress,
        ):
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
    return result, cfg.gitlab_url


def report(result: RunResult, fmt: str, **extra: Any) -> None:
    if fmt != "json":
        common.out(text.render(result))
        return
    for chunk in json_report.chunks(result, **extra):
        common.out(chunk)


def write_json(path: Path, result: RunResult, **extra: Any) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.writelines(json_report.chunks(result, **extra))


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
        rotate: RotateOpt = False,
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Show what apply would change. Reads only."""
        sel = _select(inventory, project or [], shard)
        options = PlanOptions(rotate=rotate)
        result, gitlab_url = execute(
            sel,
            "plan",
            url=url,
            concurrency=concurrency,
            options=options,
            inventory_path=inventory,
        )
        extra = {"gitlab_url": gitlab_url, "inventory_digest": sel.inventory.digest, "rotate": rotate}
        report(result, format, **extra)
        if out is not None:
            targets = (*sel.groups, *sel.projects)
            write_json(out, result, **extra, **saved_plan.extras(targets, project or [], shard))
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
        rotate: RotateOpt = False,
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Make GitLab match the inventory, then verify that it does. One apply of an inventory at a time."""
        saved = saved_plan.read(plan) if plan is not None else None
        patterns = project or []
        if saved is not None:  # the plan's selection, as it was made
            patterns, shard = saved_plan.selection(saved, patterns, shard)
        sel = _select(inventory, patterns, shard)
        gitlab_url = common.settings(url).gitlab_url
        lock = run_lock.lock_path(inventory, gitlab_url)
        with run_lock.held(lock, wait=wait, waiting=_waiting):
            result = _apply(
                sel, saved, yes=yes, url=url, concurrency=concurrency, rotate=rotate, inventory=inventory
            )
        report(result, format)
        raise typer.Exit(exit_code(result, drift_code=common.EXIT_OK))

    @app.command()
    def check(
        inventory: InventoryOpt = Path("inventory.yaml"),
        project: ProjectOpt = None,
        shard: ShardOpt = None,
        format: FormatOpt = "text",
        junit_file: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report.")] = None,
        json_file: Annotated[Path | None, typer.Option("--json", help="Write a JSON report.")] = None,
        concurrency: ConcurrencyOpt = None,
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Compliance: report drift (exit 2) without changing anything. Works with a read_api token."""
        sel = _select(inventory, project or [], shard)
        result, gitlab_url = execute(
            sel,
            "check",
            url=url,
            concurrency=concurrency,
            options=PlanOptions(),
            inventory_path=inventory,
        )
        report(result, format)
        if junit_file is not None:
            junit_file.write_text(junit.render(result), encoding="utf-8")
        if json_file is not None:
            write_json(json_file, result, gitlab_url=gitlab_url)
        raise typer.Exit(exit_code(result, drift_code=common.EXIT_DRIFT))


def _waiting(holder: run_lock.Holder | None) -> None:
    common.err(f"waiting for the apply that holds the run lock ({holder or 'starting'}) to finish")


def _apply(
    sel: Selection,
    saved: saved_plan.SavedPlan | None,
    *,
    yes: bool,
    url: str | None,
    concurrency: int | None,
    rotate: bool,
    inventory: Path,
) -> RunResult:
    """What `apply` does once it holds the run lock: check what was approved (a saved plan, or the plan
    shown and confirmed), then apply exactly that."""
    options = PlanOptions(rotate=rotate)
    expected: dict[str, list[Mapping[str, Any]]] | None = None
    run = functools.partial(execute, sel, url=url, concurrency=concurrency, inventory_path=inventory)
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
        common.out(text.render(shown))
        if not shown.pending:
            raise typer.Exit(exit_code(shown, drift_code=common.EXIT_OK))
        if not typer.confirm("Apply these changes?", default=False):
            common.fail("nothing applied.", common.EXIT_OK)
        expected = {p.project: [c.public() for c in p.pending] for p in shown.projects}
    result, _ = run("apply", options=options, expected=expected)
    return result
