"""Interrupted runs. SIGKILL at random points (the tool cannot react) and a re-run converges with no
duplicates; SIGINT stops cleanly: projects in flight finish and are reported, nothing new starts,
exit 130.
"""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    API_KEY,
    DEPLOY_TOKEN,
    RUNNER,
    Census,
    bulk_inventory,
    census,
    cli,
    forbid_pushes,
    keyring_of,
    seed_projects,
    start_cli,
)
from tests.support import Sandbox

PROJECTS = 40
CONCURRENCY = 4


def wait_for_requests(sandbox: Sandbox, count: int, process: object, limit: float = 60.0) -> None:
    """Until the sandbox has answered `count` API requests of this run (or the run ended)."""
    counters = sandbox.server.app.runtime.counters
    deadline = time.monotonic() + limit
    while counters.total < count and process.poll() is None:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.002)


def assert_converged(
    sandbox: Sandbox, workdir: Path, paths: list[str], awaiting: frozenset[str] = frozenset()
) -> Census:
    """Nothing pending, drift only where a merge request waits for a person, nothing twice."""
    plan = cli(sandbox, workdir, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-2000:]
    check = cli(sandbox, workdir, "check", "--json", "check.json")
    assert check.returncode == (2 if awaiting else 0), check.stdout[-3000:]
    report = json.loads((workdir / "check.json").read_text())
    assert {p["project"] for p in report["projects"] if p["awaiting"]} == awaiting
    seen = census(sandbox, paths)
    assert seen.duplicates() == {}
    for path in paths:
        assert seen.values[(path, "API_KEY", "*")] == API_KEY
        assert (path, "LEGACY_FLAG", "*") not in seen.values
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_random_points_then_rerun_converges_without_duplicates(
    sandbox: Sandbox, workdir: Path, seed: int
) -> None:
    paths = seed_projects(sandbox, PROJECTS)
    proposals = paths[::3]
    for path in proposals:
        forbid_pushes(sandbox, path)
    (workdir / "inventory.yaml").write_text(bulk_inventory(paths, everything=True))
    sandbox.faults(latency_ms=2, seed=seed)
    rng = random.Random(seed)

    for _ in range(3):  # killed three times, at random points, before a run may finish
        sandbox.reset_counters()
        run = start_cli(sandbox, workdir, "apply", "--yes", "--concurrency", str(CONCURRENCY))
        wait_for_requests(sandbox, rng.randint(1, 600), run)
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=30) in (-signal.SIGKILL, 0)

    sandbox.faults(latency_ms=0)
    final = cli(sandbox, workdir, "apply", "--yes")
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-2000:]
    seen = assert_converged(sandbox, workdir, paths, awaiting=frozenset(proposals))
    assert set(seen.runners) == {(path, RUNNER) for path in paths}
    assert set(seen.deploy_tokens) == {(path, DEPLOY_TOKEN) for path in paths}
    assert set(seen.merge_requests) == {(path, "main") for path in proposals}
    assert {path for path, _ in seen.commits} == set(paths)


def _untouched(sandbox: Sandbox, path: str) -> bool:
    keys = {v["key"] for v in sandbox.api.get(f"/projects/{path.replace('/', '%2F')}/variables").json()}
    return "LEGACY_FLAG" in keys and "API_KEY" not in keys


def test_sigint_finishes_projects_in_flight_reports_them_starts_nothing_new_and_exits_130(
    sandbox: Sandbox, workdir: Path
) -> None:
    paths = seed_projects(sandbox, PROJECTS)
    (workdir / "inventory.yaml").write_text(bulk_inventory(paths))
    sandbox.faults(latency_ms=15, seed=5)
    sandbox.reset_counters()
    run = start_cli(sandbox, workdir, "apply", "--yes", "--concurrency", str(CONCURRENCY))
    wait_for_requests(sandbox, 60, run)

    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=60) == 130

    stdout, stderr = (workdir / "stdout.txt").read_text(), (workdir / "stderr.txt").read_text()
    assert "stopping: finishing the projects in flight" in stderr
    assert "INTERRUPTED" in stdout
    log = (workdir / "provisioner.log").read_text()  # a line for each finished project, in order
    before_stop = log.split("stopping (SIGINT)")[0]
    finished_before = [p for p in paths if f"finished {p}: " in before_stop]
    reported = [p for p in paths if f"{p}\n" in stdout]
    # In flight at the signal: finished and reported; none started after it.
    assert set(finished_before) <= set(reported)
    assert len(reported) - len(finished_before) <= CONCURRENCY
    assert len(reported) < len(paths)
    for path in paths:
        if path in reported:
            assert not _untouched(sandbox, path), path
            assert f"finished {path}: applied" in log, path
        else:
            assert _untouched(sandbox, path), path  # never started

    sandbox.faults(latency_ms=0)
    rerun = cli(sandbox, workdir, "apply", "--yes")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert_converged(sandbox, workdir, paths)


def test_second_sigint_aborts_naming_the_projects_in_flight_and_a_rerun_converges(
    sandbox: Sandbox, workdir: Path
) -> None:
    paths = seed_projects(sandbox, PROJECTS)
    (workdir / "inventory.yaml").write_text(bulk_inventory(paths))
    sandbox.faults(latency_ms=60, seed=9)
    sandbox.reset_counters()
    run = start_cli(sandbox, workdir, "apply", "--yes", "--concurrency", str(CONCURRENCY))
    wait_for_requests(sandbox, 40, run)

    run.send_signal(signal.SIGINT)
    stderr_file = workdir / "stderr.txt"
    while "stopping:" not in stderr_file.read_text():  # the first one was heard
        assert run.poll() is None
        time.sleep(0.002)
    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=30) == 130

    stderr = stderr_file.read_text()
    aborted = [line for line in stderr.splitlines() if line.startswith("aborted: ")]
    assert len(aborted) == 1, stderr
    named = [p for p in paths if p in aborted[0]]
    assert 1 <= len(named) <= CONCURRENCY, aborted
    assert "possibly half-done" in aborted[0] and "run apply again" in aborted[0]
    for path in named:
        assert f"] {path}: " not in stderr  # not reported as finished

    sandbox.faults(latency_ms=0)
    rerun = cli(sandbox, workdir, "apply", "--yes")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert_converged(sandbox, workdir, paths)


@pytest.mark.parametrize(
    ("route", "service", "name"),
    [
        ("POST /api/v4/user/runners", "provisioner-runner", RUNNER),
        ("POST /api/v4/projects/:id/deploy_tokens", "provisioner-deploy-token", DEPLOY_TOKEN),
    ],
)
def test_sigkill_after_a_create_landed_but_before_its_token_was_kept(
    sandbox: Sandbox, workdir: Path, route: str, service: str, name: str
) -> None:
    """The worst moment: GitLab made the runner (or deploy token) and the answer with its one-time token
    never arrived. The re-run must not take it as done with a token nobody holds."""
    (path,) = seed_projects(sandbox, 1)
    (workdir / "inventory.yaml").write_text(bulk_inventory([path], everything=True))
    sandbox.faults(timeout_seconds=60, script=[{"route": route, "kind": "timeout"}])
    made = sandbox.state.runners if service == "provisioner-runner" else sandbox.state.deploy_tokens
    before = len(made)
    run = start_cli(sandbox, workdir, "apply", "--yes", PROVISIONER_TIMEOUT="60")
    while len(made) <= before:  # GitLab made it; the answer is withheld
        assert run.poll() is None, (workdir / "stdout.txt").read_text()
        time.sleep(0.002)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    sandbox.faults(script=[])

    rerun = cli(sandbox, workdir, "apply", "--yes")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    seen = assert_converged(sandbox, workdir, [path])
    project_id = sandbox.api.get(f"/projects/{path.replace('/', '%2F')}").json()["id"]
    if service == "provisioner-runner":
        assert list(seen.runners) == [(path, RUNNER)]
        (runner,) = [r for r in sandbox.state.runners.values() if project_id in r.project_ids]
        held = runner.token
    else:
        assert list(seen.deploy_tokens) == [(path, DEPLOY_TOKEN)]
        (token,) = [
            t for t in sandbox.state.deploy_tokens.values() if t.project_id == project_id and not t.revoked
        ]
        held = token.secret
    assert keyring_of(workdir).get_password(service, f"{path}/{name}") == held
