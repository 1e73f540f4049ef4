"""The command line: thin typer commands over the library, inside the one error boundary of the program.

`Program` is the root command group: every command, nested ones included, runs inside
`common.boundary`. The sandbox's commands are loaded only when asked for (`provisioner sandbox ...`):
the tool itself never imports the simulator.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from provisioner import allocator
from provisioner.cli import (
    bootstrap_cmds,
    common,
    demo_cmd,
    doctor_cmd,
    import_cmds,
    inventory_cmds,
    run_cmds,
)
from provisioner.cli.auth_cmds import auth_app
from provisioner.cli.blueprint_cmds import app as blueprint_app

# name -> "module:typer app", imported on first use
LAZY = {
    "sandbox": ("provisioner.sandbox.cli:sandbox_app", "A local GitLab API simulator for demos and tests.")
}


class Program(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        # The words after the program's name: `--debug` anywhere among them turns debug logging on.
        words = [*(getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])), *ctx.args]
        with common.boundary(debug="--debug" in words):
            return super().invoke(ctx)

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY})

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in LAZY:
            return super().get_command(ctx, name)
        module, _, attribute = LAZY[name][0].partition(":")
        command = typer.main.get_group(getattr(importlib.import_module(module), attribute))
        command.help = command.help or LAZY[name][1]
        return command


app = typer.Typer(
    name="provisioner",
    cls=Program,
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
demo_cmd.register(app)
doctor_cmd.register(app)


def main() -> None:
    allocator.fewer_arenas()  # before any thread starts: see provisioner/allocator.py
    app()
