"""A team pushes while `apply` runs: the scaffolding commit, guarded by what the tool observed, fails
instead of overwriting; the project is planned again against the new state and converges on top of
the team's commit, which stays in the history with its content.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from tests.reliability.conftest import cli, seed_projects, start_cli
from tests.support import Sandbox, enc

TEAM_PYPROJECT = """\
# The team's own: keep it.
[project]
name = "project-00000"
version = "0.3.0"
description = "Written by the team while the tool was running"
dependencies = ["httpx>=0.27"]
"""
INVENTORY = """\
version: 1
projects:
  {path}:
    blueprint: python-package
    settings: {{build_timeout: 7200}}
"""


def test_a_push_between_plan_and_commit_fails_the_commit_and_the_project_is_planned_again(
    sandbox: Sandbox, workdir: Path
) -> None:
    (path,) = seed_projects(sandbox, 1)
    project = enc(path)
    (workdir / "inventory.yaml").write_text(textwrap.dedent(INVENTORY.format(path=path)))
    # The tool's first write (settings, before the files) is carried out, then its answer withheld:
    # the team pushes in that window, after the tool observed the repository and before it commits.
    sandbox.faults(timeout_seconds=2, script=[{"route": "PUT /api/v4/projects/:id", "kind": "timeout"}])
    run = start_cli(sandbox, workdir, "apply", "--yes")
    counters = sandbox.server.app.runtime.counters
    while counters.by_route["PUT /api/v4/projects/:id"] < 1:
        assert run.poll() is None, (workdir / "stdout.txt").read_text()
        time.sleep(0.002)
    team = sandbox.api.post(
        f"/projects/{project}/repository/commits",
        json={
            "branch": "main",
            "commit_message": "Add our pyproject.toml",
            "actions": [{"action": "create", "file_path": "pyproject.toml", "content": TEAM_PYPROJECT}],
        },
    )
    assert team.status_code == 201, team.text
    assert run.wait(timeout=60) == 0, (workdir / "stdout.txt").read_text()

    said = (workdir / "stderr.txt").read_text()
    assert f"{path}: files: main changed since the plan was made" in said, said
    assert "nothing committed; planning it again" in said
    history = sandbox.api.get(f"/projects/{project}/repository/commits", params={"ref_name": "main"}).json()
    titles = [c["title"] for c in history]
    assert titles.index("Add our pyproject.toml") == 1, titles  # the tool's commit came after, on top
    assert sum("Apply blueprint" in t for t in titles) == 1, titles  # once: the refused one never landed
    pyproject = sandbox.api.get(
        f"/projects/{project}/repository/files/pyproject.toml/raw", params={"ref": "main"}
    ).text
    for line in TEAM_PYPROJECT.splitlines():
        if not line.startswith("dependencies"):
            assert line in pyproject  # the team's content survived
    assert "httpx>=0.27" in pyproject and "[build-system]" in pyproject  # and the blueprint's keys joined

    check = cli(sandbox, workdir, "check")
    assert check.returncode == 0, check.stdout
