"""`import GROUP`: write an inventory that reproduces every project under a group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provisioner import safe_files
from provisioner.cli import common
from provisioner.cli.options import ConcurrencyOpt, DebugOpt, MaxRateOpt, UrlOpt
from provisioner.onboard.importer import import_group
from provisioner.report.text import plural


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        group: Annotated[str, typer.Argument(help="Full path of the group to import, with its subgroups.")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Write the inventory here (default: stdout).")
        ] = None,
        force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
        concurrency: ConcurrencyOpt = None,
        max_rate: MaxRateOpt = None,
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Write an inventory that reproduces the projects under GROUP (settings, variables, runners,
        registry, protection), so that `plan` right after is empty. Masked and hidden variables are
        imported without their values. Archived projects are left out. Reads only."""
        rate = common.max_rate(max_rate)
        if out is not None and out.exists() and not force:
            common.fail(f"error: {out} exists; pass --force to overwrite it")
        cfg = common.settings(url, concurrency, rate)
        api = common.connect(cfg)
        try:
            result = import_group(api, group.strip("/"), concurrency=cfg.concurrency, source=cfg.gitlab_url)
        finally:
            api.close()
        if out is None:
            common.out(result.text)
        else:
            safe_files.write_text(out, result.text)
        by_note: dict[str, list[str]] = {}
        for place, note in result.notes:
            by_note.setdefault(note, []).append(place)
        for note, places in by_note.items():
            more = f" and {len(places) - 3} more" if len(places) > 3 else ""
            common.err(f"note: {', '.join(places[:3])}{more}: {note}")
        where = f" to {out}" if out is not None else ""
        common.err(
            f"imported {plural(result.projects, 'project')} from {plural(result.groups, 'group')}{where}"
        )
        if result.secret_references:
            common.err(
                f"{plural(result.secret_references, 'secret value')} not imported (masked, hidden, under a key "
                "that reads like a credential, or a schedule's): written as secret: env:NAME references (a "
                "schedule's as value_unmanaged: true), whose values apply will need"
            )
        if result.incomplete:
            common.err("the import is incomplete: what was not read is left unmanaged (see the notes)")
        raise typer.Exit(common.EXIT_ERROR if result.incomplete else common.EXIT_OK)
