"""`provisioner validate` and `provisioner schema`: thin commands over `provisioner.inventory`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provisioner.facets import inventory_sections
from provisioner.inventory import inventory_json_schema, load_inventory
from provisioner.report.text import plural

InventoryOption = Annotated[
    Path, typer.Option("--inventory", "-i", help="The inventory file.", envvar="PROVISIONER_INVENTORY")
]


def validate(inventory: InventoryOption = Path("inventory.yaml")) -> None:
    """Check the inventory, its includes, blueprint inputs and secret references, offline."""
    loaded = load_inventory(inventory, sections=inventory_sections())
    typer.echo(f"ok: {plural(len(loaded.projects), 'project')}, {plural(len(loaded.groups), 'group')}")


def schema(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of inventory files, for editors."""
    text = json.dumps(inventory_json_schema(inventory_sections()), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("schema")(schema)
