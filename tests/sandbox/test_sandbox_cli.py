"""`provisioner sandbox serve` as other tools use it: a subprocess, one JSON line, SIGTERM, exit 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gitlab
import requests

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serve(*args: str) -> Iterator[tuple[dict[str, str], subprocess.Popen[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "sandbox", "serve", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        yield json.loads(line), process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str]:
    process.send_signal(sig)
    rest, _ = process.communicate(timeout=20)
    return process.returncode, rest


def test_serve_prints_one_json_line_serves_and_exits_0_on_sigterm():
    """Issue CLI contract: exactly one JSON line {"url","token"}; serves until SIGTERM; exit 0."""
    with serve("--seed", "demo") as (ready, process):
        assert set(ready) == {"url", "token"}
        assert ready["url"].startswith("http://127.0.0.1:")
        response = requests.get(
            ready["url"] + "/api/v4/projects", headers={"PRIVATE-TOKEN": ready["token"]}, timeout=10
        )
        assert response.status_code == 200 and len(response.json()) == 10
        code, rest = _stop(process)
    assert code == 0
    assert rest == ""  # nothing else on stdout


def test_sigint_also_exits_0():
    """Issue CLI contract: SIGINT or SIGTERM, exit 0."""
    with serve("--seed", "empty") as (ready, process):
        assert requests.get(ready["url"] + "/api/v4/version", headers={"PRIVATE-TOKEN": ready["token"]}).ok
        code, _ = _stop(process, signal.SIGINT)
    assert code == 0


def test_state_file_survives_a_restart(tmp_path):
    """Issue CLI contract: --state FILE persists state across restarts (and the admin token)."""
    state = tmp_path / "world.json"
    with serve("--seed", "empty", "--state", str(state)) as (ready, process):
        gl = gitlab.Gitlab(ready["url"], private_token=ready["token"])
        project = gl.projects.create({"name": "kept", "initialize_with_readme": True})
        project.variables.create({"key": "KEPT", "value": "yes"})
        assert _stop(process)[0] == 0
    assert state.exists()
    with serve("--seed", "demo", "--state", str(state)) as (again, process):
        assert again["token"] == ready["token"]
        gl = gitlab.Gitlab(again["url"], private_token=again["token"])
        kept = gl.projects.get("root/kept")
        assert kept.variables.get("KEPT").value == "yes"
        assert kept.files.get("README.md", ref="main").decode().startswith(b"# kept")
        assert len(gl.projects.list(get_all=True)) == 1  # the saved world wins over --seed
        assert _stop(process)[0] == 0


def test_fault_options_are_reproducible_with_random_seed():
    """Issue CLI contract: --fault-rate with --random-seed gives the same faults on every run."""

    def outcomes() -> list[object]:
        with serve("--seed", "empty", "--fault-rate", "0.3", "--random-seed", "4") as (ready, process):
            seen: list[object] = []
            for _ in range(12):
                try:
                    response = requests.get(
                        ready["url"] + "/api/v4/version",
                        headers={"PRIVATE-TOKEN": ready["token"]},
                        timeout=0.5,
                    )
                    seen.append(response.status_code)
                except requests.RequestException as exc:
                    seen.append(type(exc).__name__)
            process.kill()
            return seen

    first = outcomes()
    assert first == outcomes()
    assert 200 in first and any(o != 200 for o in first)


def test_readme_script_creates_a_project_sets_variables_and_commits_files():
    """Issue "done when": a python-gitlab script can create a project, set variables, commit files."""
    with serve("--seed", "demo") as (ready, process):
        gl = gitlab.Gitlab(ready["url"], private_token=ready["token"])
        group = gl.groups.get("platform")
        project = gl.projects.create({"name": "new-service", "namespace_id": group.id})
        project.variables.create({"key": "PYPI_TOKEN", "value": "pypi-AgEIcHlwaS5vcmc", "masked": True})
        project.variables.create({"key": "DEPLOY_ENV", "value": "prod", "environment_scope": "production"})
        commit = project.commits.create(
            {
                "branch": "main",
                "commit_message": "Scaffold the pipeline",
                "actions": [
                    {"action": "create", "file_path": ".gitlab-ci.yml", "content": "stages: [test]\n"},
                    {"action": "create", "file_path": "pyproject.toml", "content": "[project]\nname = 'x'\n"},
                ],
            }
        )
        fetched = gl.projects.get("platform/new-service")
        assert fetched.default_branch == "main" and fetched.empty_repo is False
        assert {v.key for v in fetched.variables.list(get_all=True)} == {"PYPI_TOKEN", "DEPLOY_ENV"}
        ci = fetched.files.get(".gitlab-ci.yml", ref="main")
        assert ci.decode() == b"stages: [test]\n" and ci.last_commit_id == commit.id
        assert _stop(process)[0] == 0
