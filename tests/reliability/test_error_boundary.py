"""The one error boundary: whatever breaks, and wherever (loading the inventory included), a command
prints one line naming the log file, keeps the scrubbed traceback there, and exits 1."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from provisioner.cli import app
from tests.reliability.conftest import cli, cli_env
from tests.reliability.test_secrets_everywhere import leaks
from tests.support import ROOT, Sandbox

SECRET = "rel-boundary-secret-5d1c7e"  # a variable's value, from the environment
INVENTORY = """\
version: 1
projects:
  platform/billing:
    variables:
      API_KEY: {secret: "env:REL_BOUNDARY_SECRET", masked: true}
"""
# Replaces FAULT_AT (module:function) by a function that raises an error whose message holds the
# value of the environment variable FAULT_SECRET: an unexpected error that carries a secret.
FAULTY_CLI = """\
import importlib, os, sys
module, _, name = os.environ["FAULT_AT"].partition(":")
def fault(*args, **kwargs):
    raise RuntimeError("broken while holding " + os.environ[os.environ["FAULT_SECRET"]])
setattr(importlib.import_module(module), name, fault)
from provisioner.cli import main
sys.argv[0] = "provisioner"
main()
"""
LOADING = "provisioner.inventory.loader:_select"  # runs after every secret has been resolved


def run_faulty(
    sandbox: Sandbox, workdir: Path, args: list[str], fault_at: str, secret_env: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    script = workdir / "faulty_cli.py"
    script.write_text(FAULTY_CLI)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env |= cli_env(
        sandbox, workdir, REL_BOUNDARY_SECRET=SECRET, FAULT_AT=fault_at, FAULT_SECRET=secret_env, **extra
    )
    return subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


FAULTS = [
    (["validate"], LOADING, "REL_BOUNDARY_SECRET"),
    (["plan"], LOADING, "REL_BOUNDARY_SECRET"),
    (["apply", "--yes"], LOADING, "REL_BOUNDARY_SECRET"),
    (["check", "--debug"], LOADING, "REL_BOUNDARY_SECRET"),
    (["bootstrap", "platform/brand-new"], LOADING, "REL_BOUNDARY_SECRET"),
    (["import", "platform"], "provisioner.cli.import_cmds:import_group", "PROVISIONER_TOKEN"),
    (["auth", "status"], "provisioner.onboard.auth:identify", "PROVISIONER_TOKEN"),
    (["demo"], "provisioner.sandbox:SandboxServer", "PROVISIONER_TOKEN"),
]


@pytest.mark.parametrize(("args", "fault_at", "secret_env"), FAULTS, ids=[" ".join(f[0]) for f in FAULTS])
def test_an_unexpected_error_is_one_line_on_screen_and_a_scrubbed_traceback_in_the_log(
    sandbox: Sandbox, workdir: Path, args: list[str], fault_at: str, secret_env: str
) -> None:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    log_file = workdir / "provisioner.log"

    result = run_faulty(sandbox, workdir, args, fault_at, secret_env)

    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"internal error: RuntimeError; the traceback is in {log_file}"]
    log = log_file.read_text()
    assert "Traceback (most recent call last)" in log and "RuntimeError: broken while holding" in log
    assert "(sensitive)" in log  # the value was there, and scrubbed
    secret = SECRET if secret_env == "REL_BOUNDARY_SECRET" else sandbox.token
    assert leaks(result.stdout + result.stderr + log, [secret, sandbox.token]) == []


def test_without_a_writable_log_file_the_one_line_says_so(sandbox: Sandbox, workdir: Path) -> None:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    (workdir / "a-file").write_text("not a folder\n")
    unwritable = str(workdir / "a-file" / "provisioner.log")

    result = run_faulty(
        sandbox, workdir, ["plan"], LOADING, "REL_BOUNDARY_SECRET", PROVISIONER_LOG_FILE=unwritable
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == ["internal error: RuntimeError; no log file could be written"]
    assert leaks(result.stdout + result.stderr, [SECRET]) == []


# The least each command needs on its command line to reach its own code.
ARGUMENTS = {
    "bootstrap": ["g/p"],
    "import": ["g"],
    "blueprint render": ["python-package", "--out", "out"],
}


def _commands(typer_app: typer.Typer, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [
        ((*prefix, c.name or c.callback.__name__.replace("_", "-")), c) for c in typer_app.registered_commands
    ]
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            found += _commands(group.typer_instance, (*prefix, str(group.name)))
    return found


def test_every_command_is_behind_the_boundary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A command outside it would print a raw traceback, secrets and all, on an unexpected error: each
    one, made to break while holding a secret, prints one line and exits 1."""
    from provisioner.sandbox.cli import sandbox_app  # loaded by the command line only when asked for

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROVISIONER_LOG_FILE", str(tmp_path / "provisioner.log"))
    commands = [*_commands(app, ()), *_commands(sandbox_app, ("sandbox",))]
    names = {" ".join(words) for words, _ in commands}
    assert {"plan", "apply", "check", "validate", "bootstrap", "import", "demo", "auth login"} <= names
    assert {"blueprint render", "blueprint list", "sandbox serve"} <= names

    for words, info in commands:
        original = info.callback

        @functools.wraps(original)
        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError(f"broken while holding {SECRET}")

        monkeypatch.setattr(info, "callback", broken)
        result = CliRunner().invoke(app, [*words, *ARGUMENTS.get(" ".join(words), [])])
        shown = " ".join(words)
        assert result.exit_code == 1, (shown, result.output)
        assert result.stderr.startswith("internal error: RuntimeError; the traceback is in"), shown
        assert SECRET not in result.output and "Traceback" not in result.output, shown
        monkeypatch.setattr(info, "callback", original)


@pytest.mark.parametrize("command", ["plan", "apply", "check"])
def test_a_wrong_format_is_refused_before_any_request(sandbox: Sandbox, workdir: Path, command: str) -> None:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    sandbox.reset_counters()

    yes = ["--yes"] if command == "apply" else []
    result = cli(sandbox, workdir, command, *yes, "--format", "yaml", REL_BOUNDARY_SECRET=SECRET)

    assert result.returncode == 2, result.stderr  # a usage error
    assert "--format" in result.stderr and "yaml" in result.stderr
    assert sandbox.counters()["total"] == 0
