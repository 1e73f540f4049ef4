"""`provisioner doctor`: a thin command over `provisioner.onboard.doctor`, and its table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from provisioner.cli import common
from provisioner.cli.options import DebugOpt, FormatOpt, UrlOpt
from provisioner.facets import inventory_sections, registered
from provisioner.inventory import load_inventory
from provisioner.onboard.doctor import Diagnosis
from provisioner.onboard.doctor import diagnose as run_diagnosis
from provisioner.report.text import plural

DEFAULT_INVENTORY = Path("inventory.yaml")
InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory", "-i", help="The inventory file (default: inventory.yaml, when there is one)."
    ),
]


def render(diagnosis: Diagnosis) -> str:
    width = max(len(c.area) for c in diagnosis.checks)
    lines = [f"provisioner doctor: {diagnosis.url}", ""]
    for check in diagnosis.checks:
        lines.append(f"{check.status:<8} {check.area:<{width}}  {check.summary}")
        lines += [f"{'':<8} {'':<{width}}    {detail}" for detail in check.details]
    counts = {s: sum(c.status == s for c in diagnosis.checks) for s in ("problem", "warning")}
    verdict = "nothing stands in the way of a run" if not any(counts.values()) else ""
    said = ", ".join(plural(n, status) for status, n in counts.items() if n)
    lines += ["", f"doctor: {said or verdict}"]
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        inventory: InventoryOpt = None,
        fmt: FormatOpt = "text",
        url: UrlOpt = None,
        debug: DebugOpt = False,
    ) -> None:
        """Check the GitLab, the token and the inventory before a first bulk apply: the server's version
        and what it means per facet, the token, roles on the managed groups, GraphQL, rate limits and
        latency, inventory keys this GitLab cannot honour. Exits 1 on anything that would make a run
        fail or mislead."""
        path = inventory if inventory is not None else DEFAULT_INVENTORY
        loaded = None
        if inventory is not None or path.exists():
            loaded = load_inventory(path, sections=inventory_sections())
        api = common.connect(common.settings(url))
        try:
            diagnosis = run_diagnosis(api, loaded, registered(), today=date.today())
        finally:
            api.close()
        if fmt == "json":
            common.out(json.dumps(diagnosis.public(), indent=2) + "\n")
        else:
            common.out(render(diagnosis))
        raise typer.Exit(common.EXIT_ERROR if diagnosis.failed else common.EXIT_OK)
