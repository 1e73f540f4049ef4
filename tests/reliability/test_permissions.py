"""Tokens that cannot do everything: clear problems for each project they cannot change (one per
cause: the same cause in several facets is said once), the other projects converge, exit 1. `check`
needs nothing more than `read_api`.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.reliability.conftest import census, cli, seed_projects
from tests.support import Sandbox

DEVELOPER, MAINTAINER = 30, 40
INVENTORY = """\
version: 1
groups:
  bulk:
    settings: {build_timeout: 7200, ci_default_git_depth: 20}
    variables:
      PIP_INDEX_URL: https://pypi.example.internal/simple
      API_KEY: {secret: "env:REL_API_KEY", masked: true}
projects:
"""


def _setup(sandbox: Sandbox, workdir: Path, count: int = 6) -> list[str]:
    paths = seed_projects(sandbox, count)
    (workdir / "inventory.yaml").write_text(INVENTORY + "".join(f"  {p}: {{}}\n" for p in paths))
    return paths


def _problem_lines(report: str, project: str) -> list[str]:
    """The `!` lines under `project` in the text report."""
    blocks = report.split("\n\n")
    block = next((b for b in blocks if b.startswith(project + "\n")), "")
    return [line.strip() for line in block.splitlines() if line.lstrip().startswith("!")]


def _converged(sandbox: Sandbox, path: str) -> bool:
    project = sandbox.api.get(f"/projects/{path.replace('/', '%2F')}").json()
    keys = {v["key"] for v in sandbox.api.get(f"/projects/{project['id']}/variables").json()}
    return project["build_timeout"] == 7200 and {"PIP_INDEX_URL", "API_KEY"} <= keys


def test_developer_gets_clear_problems_for_projects_it_cannot_change_and_the_rest_converge(
    sandbox: Sandbox, workdir: Path
) -> None:
    paths = _setup(sandbox, workdir)
    user, token = sandbox.user_with_token("devon", ["api"])
    maintained, developed = paths[:3], paths[3:]
    for path in maintained:
        sandbox.add_member("projects", path, user, MAINTAINER)
    for path in developed:
        sandbox.add_member("projects", path, user, DEVELOPER)

    apply = cli(sandbox, workdir, "apply", "--yes", PROVISIONER_TOKEN=token)

    assert apply.returncode == 1, apply.stdout + apply.stderr
    for path in developed:
        # One cause, said once, naming what it stopped: settings cannot be read, variables not listed.
        assert _problem_lines(apply.stdout, path) == [
            "! the token has the Developer role on this project; this needs Maintainer or higher"
            " (settings, variables)"
        ]
        assert not _converged(sandbox, path)
    for path in maintained:
        assert _problem_lines(apply.stdout, path) == []
        assert _converged(sandbox, path)
    assert census(sandbox, paths).duplicates() == {}


def test_read_api_token_writes_nothing_says_so_once_and_check_works_with_it(
    sandbox: Sandbox, workdir: Path
) -> None:
    paths = _setup(sandbox, workdir, 4)
    user, token = sandbox.user_with_token("reed", ["read_api"])
    for path in paths:
        sandbox.add_member("projects", path, user, MAINTAINER)

    check = cli(sandbox, workdir, "check", "--json", "check.json", PROVISIONER_TOKEN=token)
    assert check.returncode == 2, check.stdout + check.stderr  # drift, seen with read_api alone
    assert re.search(r"failed +0 projects", check.stdout), check.stdout
    assert "\n  ! " not in check.stdout  # no problem on any project

    sandbox.reset_counters()
    apply = cli(sandbox, workdir, "apply", "--yes", PROVISIONER_TOKEN=token)
    assert apply.returncode == 1, apply.stdout + apply.stderr
    # The token's scopes are read once: not one write is sent, and the cause is said once (issue 19).
    assert apply.stderr.count("api scope") == 1, apply.stderr
    assert sandbox.counters()["writes"] == 0
    assert not any(_converged(sandbox, path) for path in paths)

    # An admin fixes it; read_api then sees no drift.
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 0
    check = cli(sandbox, workdir, "check", PROVISIONER_TOKEN=token)
    assert check.returncode == 0, check.stdout + check.stderr
