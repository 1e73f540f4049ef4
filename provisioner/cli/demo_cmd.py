"""`provisioner demo`: the whole loop against an embedded sandbox, as a person would run it.

It starts the sandbox with the demo seed on a free loopback port and runs the real commands in
subprocesses (validate, plan, apply, apply again, check), pointing them at the sandbox through the
environment, exactly as a user points them at GitLab. Then it shows what the sandbox counted: the
second apply must have written nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import requests
import typer

from provisioner.cli import common

STATE_DIR = Path(".provisioner/demo")


def _step(title: str, args: list[str], env: dict[str, str], cwd: Path) -> int:
    typer.secho(f"\n$ provisioner {' '.join(args)}", bold=True)
    typer.echo(f"# {title}")
    completed = subprocess.run([sys.executable, "-m", "provisioner", *args], env=env, cwd=cwd, check=False)
    typer.echo(f"# exit code {completed.returncode}")
    return completed.returncode


def _counters(url: str, token: str) -> dict[str, int]:
    response = requests.get(f"{url}/-/sandbox/requests", headers={"PRIVATE-TOKEN": token}, timeout=10)
    response.raise_for_status()
    data = response.json()
    return {"total": int(data["total"]), "writes": int(data["writes"])}


def _reset(url: str, token: str) -> None:
    requests.post(f"{url}/-/sandbox/requests/reset", headers={"PRIVATE-TOKEN": token}, timeout=10)


def _merge_open_requests(url: str, token: str) -> list[str]:
    """Play the team's maintainer: accept the merge requests the tool opened on protected branches, and
    the drafts it opened to adopt a project's own pipeline (marked ready first: GitLab merges no draft)."""
    session = requests.Session()
    session.headers["PRIVATE-TOKEN"] = token
    api = f"{url}/api/v4"
    merged = []
    for project in session.get(f"{api}/projects", params={"per_page": 100}, timeout=10).json():
        requests_open = session.get(
            f"{api}/projects/{project['id']}/merge_requests", params={"state": "opened"}, timeout=10
        )
        for mr in requests_open.json() if requests_open.status_code == 200 else []:
            where = f"{api}/projects/{project['id']}/merge_requests/{mr['iid']}"
            if mr.get("draft"):
                session.put(where, json={"title": str(mr["title"]).removeprefix("Draft: ")}, timeout=10)
            done = session.put(f"{where}/merge", timeout=10)
            if done.status_code == 200:
                merged.append(str(mr["web_url"]))
    return merged


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        inventory: Annotated[Path, typer.Option("--inventory", "-i", help="The inventory file.")] = Path(
            "inventory.yaml"
        ),
        gitlab_version: Annotated[
            str, typer.Option(help="The GitLab version the sandbox serves (17.0 to 18.6).")
        ] = "18.6",
        edition: Annotated[str, typer.Option(help="ce or ee.")] = "ee",
    ) -> None:
        """Plan, apply and check the inventory against an embedded sandbox GitLab (seed: demo)."""
        from provisioner.sandbox import SandboxOptions, SandboxServer

        cwd = inventory.resolve().parent
        options = SandboxOptions(seed="demo", gitlab_version=gitlab_version, edition=edition)
        with SandboxServer(options) as server:
            typer.secho(
                f"Sandbox GitLab {gitlab_version} {edition.upper()} (demo seed) at {server.url}", bold=True
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_TOKEN"))}
            env.update(
                PROVISIONER_GITLAB_URL=server.url,
                PROVISIONER_TOKEN=server.token,
                PROVISIONER_LOG_FILE=str(cwd / STATE_DIR / "provisioner.log"),
            )
            inv = ["--inventory", str(inventory.resolve())]
            codes = {
                "validate": _step("validate the inventory offline", ["validate", *inv], env, cwd),
                "plan": _step("what would change", ["plan", *inv], env, cwd),
                "apply": _step("make it so", ["apply", "--yes", *inv], env, cwd),
            }
            _reset(server.url, server.token)
            codes["again"] = _step(
                "again: idempotent, nothing left to write", ["apply", "--yes", *inv], env, cwd
            )
            second = _counters(server.url, server.token)
            typer.echo(f"# the sandbox counted {second['total']} requests and {second['writes']} writes")
            junit = str(cwd / STATE_DIR / "check.xml")
            codes["check"] = _step("compliance check", ["check", "--junit", junit, *inv], env, cwd)
            if codes["check"] == common.EXIT_DRIFT:
                for url in _merge_open_requests(server.url, server.token):
                    typer.echo(f"# a maintainer merged {url}")
                codes["check"] = _step(
                    "compliance check after the merge", ["check", "--junit", junit, *inv], env, cwd
                )
        ok = codes["apply"] == 0 and codes["again"] == 0 and second["writes"] == 0 and codes["check"] == 0
        typer.secho(
            f"\ndemo {'succeeded' if ok else 'FAILED'}: "
            + ", ".join(f"{step} exit {code}" for step, code in codes.items())
            + f"; second apply wrote {second['writes']} time(s)",
            bold=True,
        )
        raise typer.Exit(0 if ok else 1)
