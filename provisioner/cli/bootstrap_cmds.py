"""`bootstrap GROUP/NAME`: create a project if missing, converge every facet, add it to the inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from provisioner import run_lock
from provisioner.blueprint import BLUEPRINTS_DIR
from provisioner.blueprint.manifest import blueprint_names, default_blueprint
from provisioner.cli import common
from provisioner.cli.options import ConcurrencyOpt, DebugOpt, FormatOpt, InventoryOpt, MaxRateOpt, UrlOpt
from provisioner.cli.running import execute, exit_code, report
from provisioner.cli.selection import Selection
from provisioner.errors import InputError, InputProblem, ProvisionerError
from provisioner.facets.base import PlanOptions
from provisioner.facets.project import ensure_namespace
from provisioner.onboard import bootstrap as onboard


def choose_blueprint(
    given: str | None, bare: bool, *, inventory_exists: bool, catalogue: Path = BLUEPRINTS_DIR
) -> tuple[dict[str, Any], str | None]:
    """What the new entry says of its blueprint, and what to tell the user. `--blueprint NAME` wins;
    `--no-blueprint` gives none, even one the inventory's defaults give. Otherwise an inventory decides
    as for any of its projects, and outside one (the file does not exist yet) the default blueprint is
    used (`default_blueprint`). Raises InputError when that is ambiguous."""
    if given is not None and bare:
        raise InputError(
            [InputProblem("--no-blueprint", 0, 0, "", "give --blueprint or --no-blueprint, not both")]
        )
    if given is not None:
        return {"blueprint": given}, None
    if bare:
        entry = {"blueprint": None} if inventory_exists else {}
        return entry, "no blueprint (--no-blueprint): the project gets no files"
    if inventory_exists:
        return {}, None
    default = default_blueprint(catalogue)
    if default is None:
        message = (
            f"no inventory yet, and the blueprint catalogue {catalogue} has no python-package (it has: "
            f"{', '.join(blueprint_names(catalogue)) or 'none'}): choose one with --blueprint NAME, or "
            "--no-blueprint for a bare project"
        )
        raise InputError([InputProblem("--blueprint", 0, 0, "", message)])
    note = (
        f"blueprint {default} (the default outside an inventory; --blueprint NAME for another, "
        "--no-blueprint for none)"
    )
    return {"blueprint": default}, note


def register(app: typer.Typer) -> None:
    @app.command()
    def bootstrap(
        project: Annotated[str, typer.Argument(help="Full path of the project, GROUP/NAME.")],
        blueprint: Annotated[
            str | None,
            typer.Option(
                help="Blueprint to scaffold it with (default: the inventory's; outside one, python-package)."
            ),
        ] = None,
        no_blueprint: Annotated[
            bool, typer.Option("--no-blueprint", help="No blueprint, not even the default: a bare project.")
        ] = False,
        var: Annotated[
            list[str] | None,
            typer.Option("--var", help="Blueprint variable NAME=VALUE (a YAML value); repeatable."),
        ] = None,
        create_groups: Annotated[
            bool, typer.Option("--create-groups", help="Create the missing groups of GROUP.")
        ] = False,
        inventory: InventoryOpt = Path("inventory.yaml"),
        format: FormatOpt = "text",
        concurrency: ConcurrencyOpt = None,
        max_rate: MaxRateOpt = None,
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Create the project if it is missing, apply every facet in the same run, then add it to the
        inventory (comments and order kept). Running it again changes nothing."""
        rate = common.max_rate(max_rate)
        given = onboard.parse_vars(var or [])
        chosen, note = choose_blueprint(blueprint, no_blueprint, inventory_exists=inventory.exists())
        request = onboard.BootstrapRequest(
            inventory,
            project.strip("/"),
            {**chosen, **({"blueprint_vars": given} if given else {})},
            {"blueprint": "--blueprint", "blueprint_vars": "--var"},
            common.settings().extra_roots,
        )
        staged = onboard.prepare(request)  # validates everything; no API call before this
        for warning in staged.inventory.warnings:
            common.err(f"warning: {warning}")
        if note is not None:
            common.err(note)
        elif staged.spec.config.blueprint is None:
            common.err(
                f"no blueprint: {inventory} gives {staged.spec.path} none (--blueprint NAME to scaffold it)"
            )
        try:
            cfg = common.settings(url, concurrency, rate)
            api = common.connect(cfg)
            try:
                created = ensure_namespace(api, staged.namespace, create_groups=create_groups)
            finally:
                api.close()
            for group in created:
                common.err(f"created group {group}")
            unchanged = f"{inventory} was not changed: fix the problem above and run bootstrap again"
            try:
                with run_lock.held(run_lock.lock_path(inventory, cfg.gitlab_url)):  # an apply, as apply's
                    result, _ = execute(
                        Selection(staged.inventory, [staged.spec], []),
                        "apply",
                        url=url,
                        concurrency=concurrency,
                        max_rate=rate,
                        options=PlanOptions(),
                        inventory_path=inventory,
                    )
            except ProvisionerError as exc:
                common.fail(f"error: {exc}\n{unchanged}")
            report(result, format)
            code = exit_code(result, drift_code=common.EXIT_OK)
            if code != common.EXIT_OK:
                common.err(unchanged)
            elif onboard.commit(staged):
                common.err(f"added {staged.spec.path} to {inventory}")
            else:
                common.err(f"{inventory} already has {staged.spec.path}; not changed")
        finally:
            onboard.discard(staged)
        raise typer.Exit(code)
