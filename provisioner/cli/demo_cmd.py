"""`provisioner demo`: the whole loop against an embedded sandbox, as a person would run it.

It starts the sandbox with the demo seed on a free loopback port and runs the real commands in
subprocesses, pointing them at the sandbox through the environment, exactly as a user points them at
GitLab: plan, apply, apply again (the sandbox counts zero writes), then a maintainer merges the merge
request the tool opened, someone changes GitLab behind the tool's back through its API, `check` catches
it (exit 2, and an HTML report), apply repairs it and `check` agrees. Short by default (summaries);
`--verbose` shows every change of every step.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import requests
import typer

from provisioner.report.style import wants_colour

STATE_DIR = Path(".provisioner/demo")
DRIFTED = "platform/billing"
WHAT_NEXT = [
    ("your GitLab", 'README.md, "Using it on a real GitLab"'),
    ("your inventory", 'README.md, "The inventory": edit inventory.yaml, run the demo again'),
    ("nightly compliance", "docs/compliance-pipeline.md (JUnit, JSON and HTML reports)"),
    ("every change shown", "provisioner demo --verbose"),
]


@dataclass(frozen=True)
class _Demo:
    url: str
    token: str
    env: dict[str, str]
    cwd: Path
    inventory: list[str]
    verbose: bool
    colour: bool

    def say(self, text: str, *, command: bool = False) -> None:
        typer.secho(text, bold=command or None, dim=not command or None, color=self.colour)

    def step(self, args: list[str], title: str, *, brief: bool = True) -> int:
        shown = [*args, "--quiet"] if brief and not self.verbose else args
        self.say(f"\n$ provisioner {' '.join(shown)}   # {title}", command=True)
        argv = [sys.executable, "-m", "provisioner", *shown, *self.inventory]
        return subprocess.run(argv, env=self.env, cwd=self.cwd, check=False).returncode

    def api(self, method: str, path: str, **fields: object) -> requests.Response:
        """The API as a person's script uses it: query fields for GET, form fields otherwise."""
        where = {"params": fields} if method == "GET" else {"data": fields}
        headers = {"PRIVATE-TOKEN": self.token}
        return requests.request(method, f"{self.url}/api/v4{path}", headers=headers, timeout=10, **where)  # type: ignore[arg-type]

    def counted(self, *, reset: bool = False) -> dict[str, int]:
        """The sandbox's request counters (admin routes, not the API)."""
        path, method = ("requests/reset", "POST") if reset else ("requests", "GET")
        headers = {"PRIVATE-TOKEN": self.token}
        response = requests.request(method, f"{self.url}/-/sandbox/{path}", headers=headers, timeout=10)
        response.raise_for_status()
        return (
            {}
            if reset
            else {"total": int(response.json()["total"]), "writes": int(response.json()["writes"])}
        )


def _merge_open_requests(demo: _Demo) -> list[str]:
    """Play the team's maintainer: accept the merge requests the tool opened on protected branches, and
    the drafts it opened to adopt a project's own pipeline (marked ready first: GitLab merges no draft)."""
    merged = []
    for project in demo.api("GET", "/projects", per_page=100).json():
        found = demo.api("GET", f"/projects/{project['id']}/merge_requests", state="opened")
        for mr in found.json() if found.status_code == 200 else []:
            where = f"/projects/{project['id']}/merge_requests/{mr['iid']}"
            if mr.get("draft"):
                demo.api("PUT", where, title=str(mr["title"]).removeprefix("Draft: "))
            if demo.api("PUT", f"{where}/merge").status_code == 200:
                merged.append(str(mr["web_url"]))
    return merged


def _drift_by_hand(demo: _Demo) -> None:
    """What a person with Maintainer rights might do in the web UI, done through the same API."""
    project = DRIFTED.replace("/", "%2F")
    demo.say("\n# someone changes GitLab behind the tool's back, through its API:")
    demo.say(f"#   PUT /projects/{project} build_timeout=7200; DELETE /projects/{project}/protected_tags/v*")
    demo.api("PUT", f"/projects/{project}", build_timeout=7200)
    demo.api("DELETE", f"/projects/{project}/protected_tags/v%2A")


def _run(demo: _Demo) -> bool:
    codes: dict[str, int] = {}
    if demo.verbose:
        codes["validate"] = demo.step(["validate"], "the inventory, offline", brief=False)
    codes["plan"] = demo.step(["plan"], "what apply would change; reads only")
    codes["apply"] = demo.step(["apply", "--yes"], "make it so, then read again to verify")
    demo.counted(reset=True)
    codes["apply again"] = demo.step(["apply", "--yes"], "again: idempotent")
    again = demo.counted()
    demo.say(f"# the sandbox counted {again['total']} requests and {again['writes']} writes")
    merged = _merge_open_requests(demo)
    if merged:
        # The URLs were in the summary just above: here, how many, and who merges them.
        count = f"{len(merged)} merge request{'s' if len(merged) != 1 else ''}"
        demo.say(f"# a maintainer merges the {count} (the tool never merges its own)")
    _drift_by_hand(demo)
    report = STATE_DIR / "report.html"  # beside the inventory, where the steps run
    codes["check"] = demo.step(["check", "--html", str(report)], "compliance: finds the drift", brief=False)
    page = (demo.cwd / report).as_uri()
    demo.say(f"# exit {codes['check']}: drift, as expected. The same as a web page: {page}")
    codes["repair"] = demo.step(["apply", "--yes"], "repair")
    codes["check again"] = demo.step(["check"], "compliance again")
    expected = {
        "validate": 0,
        "plan": 0,
        "apply": 0,
        "apply again": 0,
        "check": 2,
        "repair": 0,
        "check again": 0,
    }
    ok = codes == {step: expected[step] for step in codes} and again["writes"] == 0
    said = ", ".join(f"{step} exit {code}" for step, code in codes.items())
    typer.secho(
        f"\ndemo {'succeeded' if ok else 'FAILED'}: {said}; the second apply wrote {again['writes']} time(s)",
        bold=True,
        fg=None if ok else "red",
        color=demo.colour,
    )
    return ok


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        inventory: Annotated[Path, typer.Option("--inventory", "-i", help="The inventory file.")] = Path(
            "inventory.yaml"
        ),
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every change of every step.")] = False,
        gitlab_version: Annotated[
            str, typer.Option(help="The GitLab version the sandbox serves (17.0 to 18.6).")
        ] = "18.6",
        edition: Annotated[str, typer.Option(help="ce or ee.")] = "ee",
    ) -> None:
        """Plan, apply, drift and check the inventory against an embedded sandbox GitLab (seed: demo)."""
        from provisioner.sandbox import SandboxOptions, SandboxServer

        cwd = inventory.resolve().parent
        colour = wants_colour(sys.stdout)
        for secret in (cwd / "demo" / "secrets").glob("*"):
            if secret.name != "README.md" and not secret.is_symlink():
                secret.chmod(0o600)  # git checks files out readable by all; a secret file should not be
        options = SandboxOptions(seed="demo", gitlab_version=gitlab_version, edition=edition)
        with SandboxServer(options) as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_TOKEN"))}
            env.update(
                PROVISIONER_GITLAB_URL=server.url,
                PROVISIONER_TOKEN=server.token,
                PROVISIONER_LOG_FILE=str(cwd / STATE_DIR / "provisioner.log"),
            )
            demo = _Demo(
                server.url, server.token, env, cwd, ["--inventory", str(inventory.resolve())], verbose, colour
            )
            served = f"{gitlab_version} {edition.upper()}"
            typer.secho(
                f"Sandbox GitLab {served} (demo seed: 10 projects) at {server.url}", bold=True, color=colour
            )
            ok = _run(demo)
        typer.secho("\nWhat next:", bold=True, color=colour)
        for what, where in WHAT_NEXT:
            typer.echo(f"  {what:<20}{where}")
        raise typer.Exit(0 if ok else 1)
