"""`plan`, `apply` and `check`: load and validate everything, connect, run the engine, report."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from provisioner import run_lock
from provisioner.cli import common, saved_plan
from provisioner.cli.artifacts import Reports, Timer, cause, failed_run
from provisioner.cli.options import (
    ConcurrencyOpt,
    DebugOpt,
    FormatOpt,
    InventoryOpt,
    MaxRateOpt,
    ProjectOpt,
    QuietOpt,
    RequireSecretsOpt,
    RotateOpt,
    ShardOpt,
    UrlOpt,
)
from provisioner.cli.running import execute, exit_code, report, write_json
from provisioner.cli.selection import Selection, discovered, loaded_targets, select_targets
from provisioner.errors import ConfigError
from provisioner.facets.base import PlanOptions
from provisioner.model import RunResult
from provisioner.report import trend

log = logging.getLogger(__name__)


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
        sel = select_targets(
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
        sel = select_targets(inventory, patterns, shard, url=url, max_rate=rate)
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
            sel = loaded_targets(inventory, project or [], shard, require_secrets=require_secrets)
            targets = [f"group {g.path}" for g in sel.groups] + [p.path for p in sel.projects]
            sel = discovered(sel, url, rate)
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
