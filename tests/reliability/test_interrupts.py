"""Interrupted runs. SIGKILL at random points (the tool cannot react) and a re-run converges with no
duplicates; SIGINT stops cleanly: projects in flight finish and are reported, nothing new starts,
exit 130.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import API_KEY, bulk_inventory, census, cli, seed_projects, start_cli
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


def assert_converged(sandbox: Sandbox, workdir: Path, paths: list[str]) -> None:
    check = cli(sandbox, workdir, "check")
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    seen = census(sandbox, paths)
    assert seen.duplicates() == {}
    for path in paths:
        assert seen.values[(path, "API_KEY", "*")] == API_KEY
        assert (path, "LEGACY_FLAG", "*") not in seen.values


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_random_points_then_rerun_converges_without_duplicates(
    sandbox: Sandbox, workdir: Path, seed: int
) -> None:
    paths = seed_projects(sandbox, PROJECTS)
    (workdir / "inventory.yaml").write_text(bulk_inventory(paths))
    sandbox.faults(latency_ms=4, seed=seed)
    rng = random.Random(seed)

    for _ in range(2):  # killed twice, at random points, before a run may finish
        sandbox.reset_counters()
        run = start_cli(sandbox, workdir, "apply", "--yes", "--concurrency", str(CONCURRENCY))
        wait_for_requests(sandbox, rng.randint(1, 250), run)
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=30) in (-signal.SIGKILL, 0)

    sandbox.faults(latency_ms=0)
    final = cli(sandbox, workdir, "apply", "--yes")
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-2000:]
    assert_converged(sandbox, workdir, paths)


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
    before_stop = stderr.split("stopping:")[0]
    finished_before = [p for p in paths if f"] {p}: " in before_stop]
    reported = [p for p in paths if f"{p}\n" in stdout]
    # In flight at the signal: finished and reported; none started after it.
    assert set(finished_before) <= set(reported)
    assert len(reported) - len(finished_before) <= CONCURRENCY
    assert len(reported) < len(paths)
    for path in paths:
        if path in reported:
            assert not _untouched(sandbox, path), path
            assert f"] {path}: applied" in stderr, path
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
