"""`provisioner sandbox serve` as other tools use it: a subprocess, one JSON line, SIGTERM, exit 0.

The command line (options, the JSON line, signals, the state file) is the sandbox's own contract, not
GitLab's: REFERENCE has no section for it. What is served over HTTP follows REFERENCE, cited per test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
    """Sandbox contract, not GitLab: exactly one JSON line {"url","token"}; serves until SIGTERM; exit 0."""
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
    """Sandbox contract, not GitLab: SIGINT or SIGTERM, exit 0."""
    with serve("--seed", "empty") as (ready, process):
        assert requests.get(ready["url"] + "/api/v4/version", headers={"PRIVATE-TOKEN": ready["token"]}).ok
        code, _ = _stop(process, signal.SIGINT)
    assert code == 0


def test_state_file_survives_a_restart(tmp_path):
    """Sandbox contract, not GitLab: --state FILE persists state across restarts (and the admin token)."""
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
    """Sandbox contract, not GitLab: --fault-rate with --random-seed gives the same faults on every run."""

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


def test_latency_and_rate_limit_options():
    """Sandbox contract, not GitLab: --latency-ms delays every API answer, --rate-limit N allows N
    requests per token and minute, --rate-limit-headers-always says RateLimit-* on every answer (the 18.6
    flag on); the answers are GitLab's (REFERENCE 1.7 Rate limiting): RateLimit-*
    headers, then 429 text/plain "Retry later" with Retry-After."""
    limit, latency_ms = 3, 80
    options = ("--latency-ms", str(latency_ms), "--rate-limit", str(limit), "--random-seed", "7")
    options += ("--rate-limit-headers-always",)  # GitLab says them on a 429 only, unless a flag is on
    with serve("--seed", "empty", *options) as (ready, process):
        session = requests.Session()
        answers: list[tuple[requests.Response, float]] = []
        # A minute boundary between two requests starts a new budget: go on until the first 429.
        for _ in range(2 * limit + 2):
            started = time.perf_counter()
            response = session.get(
                ready["url"] + "/api/v4/version", headers={"PRIVATE-TOKEN": ready["token"]}, timeout=10
            )
            answers.append((response, time.perf_counter() - started))
            if response.status_code == 429:
                break
        throttled = answers[-1][0]
        assert throttled.status_code == 429
        assert throttled.headers["Content-Type"].startswith("text/plain")
        assert throttled.text.strip() == "Retry later"
        assert 1 <= int(throttled.headers["Retry-After"]) <= 60
        window = [
            r for r, _ in answers if r.headers["RateLimit-Reset"] == throttled.headers["RateLimit-Reset"]
        ]
        assert [r.status_code for r in window] == [200] * limit + [429]
        assert [r.headers["RateLimit-Remaining"] for r in window] == ["2", "1", "0", "0"]
        assert {(r.headers["RateLimit-Limit"], r.headers["RateLimit-Name"]) for r in window} == {
            (str(limit), "throttle_authenticated_api")
        }
        # The jitter is +-50% around the mean: no answer comes sooner than half of it.
        assert min(elapsed for _, elapsed in answers) >= latency_ms / 2 / 1000
        assert _stop(process)[0] == 0


def test_readme_script_creates_a_project_sets_variables_and_commits_files():
    """Issue "done when": a python-gitlab script can create a project, set variables, commit files
    (REFERENCE 2.1 Projects, 2.3 CI/CD variables, 2.11 Commits with multiple actions, 2.10 Repository
    files)."""
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


def test_gitlab_version_edition_and_job_token_enforcement_options():
    """Sandbox contract: --gitlab-version, --edition and --enforce-job-token-allowlist choose which GitLab
    is served; /version answers it as GitLab does (no suffix for the Community Edition [G:VERSION]),
    and a version the table cannot read is refused before serving."""
    options = ("--gitlab-version", "17.10", "--edition", "ce", "--enforce-job-token-allowlist")
    with serve("--seed", "empty", *options) as (ready, process):
        headers = {"PRIVATE-TOKEN": ready["token"]}
        version = requests.get(ready["url"] + "/api/v4/version", headers=headers, timeout=10).json()
        assert (version["version"], version["enterprise"]) == ("17.10.0", False)
        settings = requests.get(ready["url"] + "/api/v4/application/settings", headers=headers, timeout=10)
        assert settings.json()["enforce_ci_inbound_job_token_scope_enabled"] is True
        assert _stop(process)[0] == 0
    refused = subprocess.run(
        [sys.executable, "-m", "provisioner", "sandbox", "serve", "--gitlab-version", "latest"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "--gitlab-version" in refused.stderr
