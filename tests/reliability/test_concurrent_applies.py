"""Two applies at once (issue 19, item 1): they created 43 duplicate runners out of 50, and left a token
of a removed runner that every later plan called in sync.

Now one apply of an inventory runs at a time (the run lock: the second stops at once saying who holds
it, or waits with --wait); and what runs that did not share a lock (two checkouts, two machines)
leave behind is recognised by the next run: the duplicates the tool made are removed, a stored token
that no longer verifies is reset. Counted through the API, never from the tool's report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import requests

from provisioner import run_lock
from tests.reliability.conftest import census, cli, cli_env, seed_projects
from tests.support import ROOT, Sandbox, enc

PROJECTS = 12  # the benchmark's workload, reduced: a created runner per project, its token in a file
RUNNER = "bench-runner"


def inventory(paths: list[str]) -> str:
    entries = "".join(
        f"  {path}:\n    runners:\n      create:\n"
        f"        - {{description: {RUNNER}, tags: [bench], token: {{file: tokens/{path.rsplit('/', 1)[1]}}}}}\n"
        for path in paths
    )
    head = """\
        version: 1
        defaults:
          settings: {build_timeout: 3600}
          runners: {shared_runners_enabled: true}
        projects:
        """
    return textwrap.dedent(head) + entries


def start(sandbox: Sandbox, workdir: Path, name: str, *args: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_"))}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(cli_env(sandbox, workdir, PROVISIONER_TIMEOUT="15"))
    return subprocess.Popen(
        [sys.executable, "-m", "provisioner", "apply", "--yes", *args],
        env=environment,
        cwd=workdir,
        stdout=(workdir / f"{name}.out").open("w"),
        stderr=(workdir / f"{name}.err").open("w"),
        text=True,
        start_new_session=True,
    )


def stale_tokens(sandbox: Sandbox, workdir: Path, paths: list[str]) -> list[str]:
    """Projects whose token file does not authenticate their one runner."""
    stale = []
    for path in paths:
        pid = sandbox.api.get(f"/projects/{enc(path)}").json()["id"]
        ids = {
            r["id"] for r in sandbox.api.get(f"/projects/{pid}/runners").json() if r["description"] == RUNNER
        }
        token = (workdir / "tokens" / path.rsplit("/", 1)[1]).read_text().strip()
        verified = requests.post(f"{sandbox.url}/api/v4/runners/verify", json={"token": token}, timeout=15)
        if verified.status_code != 200 or verified.json()["id"] not in ids:
            stale.append(path)
    return stale


def converged(sandbox: Sandbox, workdir: Path, paths: list[str]) -> None:
    assert census(sandbox, paths).duplicates() == {}
    assert stale_tokens(sandbox, workdir, paths) == []
    sandbox.reset_counters()
    again = cli(sandbox, workdir, "apply", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert sandbox.counters()["writes"] == 0


def test_a_second_apply_stops_at_once_saying_who_holds_the_lock_or_waits_for_it(
    sandbox: Sandbox, workdir: Path
) -> None:
    paths = seed_projects(sandbox, 3)
    (workdir / "inventory.yaml").write_text(inventory(paths))
    lock = run_lock.lock_path(workdir / "inventory.yaml", sandbox.url)
    with run_lock.held(lock) as holder:
        sandbox.reset_counters()
        refused = cli(sandbox, workdir, "apply", "--yes")
        assert refused.returncode == 1
        assert f"another apply of this inventory against this GitLab is running ({holder}" in refused.stderr
        assert sandbox.counters()["total"] == 0  # refused before connecting
        waiting = start(sandbox, workdir, "waiting", "--wait")
        while "waiting for the apply that holds the run lock" not in (workdir / "waiting.err").read_text():
            assert waiting.poll() is None, (workdir / "waiting.err").read_text()
            time.sleep(0.05)
        assert sandbox.counters()["writes"] == 0
    assert waiting.wait(timeout=120) == 0, (workdir / "waiting.out").read_text()
    converged(sandbox, workdir, paths)


def test_two_applies_started_together_leave_no_duplicate_and_no_stale_token(
    sandbox: Sandbox, workdir: Path
) -> None:
    paths = seed_projects(sandbox, PROJECTS)
    (workdir / "inventory.yaml").write_text(inventory(paths))
    runs = [start(sandbox, workdir, name, "--wait", "--concurrency", "4") for name in ("a", "b")]
    assert [run.wait(timeout=240) for run in runs] == [0, 0], (workdir / "b.err").read_text()
    converged(sandbox, workdir, paths)


def test_what_applies_without_a_shared_lock_leave_behind_is_cleaned_up_by_the_next_run(
    sandbox: Sandbox, workdir: Path
) -> None:
    """Two inventories (two locks) over the same projects and token files: they race for real."""
    paths = seed_projects(sandbox, PROJECTS)
    (workdir / "inventory.yaml").write_text(inventory(paths))
    (workdir / "twin.yaml").write_text(inventory(paths))
    runs = [start(sandbox, workdir, "a"), start(sandbox, workdir, "b", "--inventory", "twin.yaml")]
    for run in runs:
        run.wait(timeout=240)  # either may fail (a token file written by both at once): the next run repairs
    after = cli(sandbox, workdir, "apply", "--yes")
    assert after.returncode == 0, after.stdout + after.stderr
    converged(sandbox, workdir, paths)
