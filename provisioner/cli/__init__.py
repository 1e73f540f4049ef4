"""The command line: thin typer commands over the library. The one error boundary of the program."""

from __future__ import annotations

import typer

from provisioner.cli import inventory_cmds, run_cmds
from provisioner.sandbox.cli import sandbox_app

app = typer.Typer(
    name="provisioner",
    help="Keep many GitLab projects set up the same way: plan, apply, check.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox")

run_cmds.register(app)
inventory_cmds.register(app)


def main() -> None:
    app()
