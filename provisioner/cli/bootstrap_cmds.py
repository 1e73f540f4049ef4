"""`bootstrap GROUP/NAME`: create a project if missing, converge every facet, add it to the inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli import common
from provisioner.cli.run_cmds import (
    ConcurrencyOpt,
    DebugOpt,
    FormatOpt,
    InventoryOpt,
    Selection,
    UrlOpt,
    execute,
    exit_code,
    report,
)
from provisioner.facets.base import PlanOptions
from provisioner.facets.project import ensure_namespace
from provisioner.onboard import bootstrap as onboard


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
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Create the project if it is missing, apply every facet in the same run, then add it to the
        inventory (comments and order kept). Running it again changes nothing."""
        given = onboard.parse_vars(var or [])
        choice = onboard.choose_blueprint(blueprint, no_blueprint, inventory_exists=inventory.exists())
        request = onboard.BootstrapRequest(
            inventory,
            project.strip("/"),
            {**choice.entry, **({"blueprint_vars": given} if given else {})},
            {"blueprint": "--blueprint", "blueprint_vars": "--var"},
            common.settings().extra_roots,
        )
        staged = onboard.prepare(request)  # validates everything; no API call before this
        for warning in staged.inventory.warnings:
            common.err(f"warning: {warning}")
        if choice.note is not None:
            common.err(choice.note)
        elif staged.spec.config.blueprint is None:
            common.err(
                f"no blueprint: {inventory} gives {staged.spec.path} none (--blueprint NAME to scaffold it)"
            )
        try:
            cfg = common.settings(url, concurrency)
            api = common.connect(cfg)
            try:
                created = ensure_namespace(api, staged.namespace, create_groups=create_groups)
            finally:
                api.close()
            for group in created:
                common.err(f"created group {group}")
            result, _ = execute(
                Selection(staged.inventory, [staged.spec], []),
                "apply",
                url=url,
                concurrency=concurrency,
                options=PlanOptions(),
                inventory_path=inventory,
            )
            report(result, format)
            code = exit_code(result, drift_code=common.EXIT_OK)
            if code != common.EXIT_OK:
                common.err(f"{inventory} was not changed: fix the problem above and run bootstrap again")
            elif onboard.commit(staged):
                common.err(f"added {staged.spec.path} to {inventory}")
            else:
                common.err(f"{inventory} already has {staged.spec.path}; not changed")
        finally:
            onboard.discard(staged)
        raise typer.Exit(code)
