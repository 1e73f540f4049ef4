"""`bootstrap GROUP/NAME`: create a project if missing, converge every facet, add it to the inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provisioner import run_lock
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
from provisioner.errors import ProvisionerError
from provisioner.facets.base import PlanOptions
from provisioner.facets.project import ensure_namespace
from provisioner.onboard import bootstrap as onboard


def register(app: typer.Typer) -> None:
    @app.command()
    def bootstrap(
        project: Annotated[str, typer.Argument(help="Full path of the project, GROUP/NAME.")],
        blueprint: Annotated[str | None, typer.Option(help="Blueprint to scaffold it with.")] = None,
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
        entry = {"blueprint": blueprint, "blueprint_vars": given}
        request = onboard.BootstrapRequest(
            inventory,
            project.strip("/"),
            {key: value for key, value in entry.items() if value},
            {"blueprint": "--blueprint", "blueprint_vars": "--var"},
            common.settings().extra_roots,
        )
        staged = onboard.prepare(request)  # validates everything; no API call before this
        try:
            cfg = common.settings(url, concurrency)
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
