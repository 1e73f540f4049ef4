"""The command line: thin typer commands over the library. The one error boundary of the program."""

from __future__ import annotations

import typer

from provisioner.cli import bootstrap_cmds, demo_cmd, import_cmds, inventory_cmds, run_cmds
from provisioner.cli.auth_cmds import auth_app
from provisioner.cli.blueprint_cmds import app as blueprint_app
from provisioner.sandbox.cli import sandbox_app

app = typer.Typer(
    name="provisioner",
    help="Keep many GitLab projects set up the same way: plan, apply, check.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
run_cmds.register(app)
inventory_cmds.register(app)
bootstrap_cmds.register(app)
import_cmds.register(app)
app.add_typer(auth_app, name="auth")
app.add_typer(blueprint_app, name="blueprint")
app.add_typer(sandbox_app, name="sandbox")
demo_cmd.register(app)


def main() -> None:
    app()
