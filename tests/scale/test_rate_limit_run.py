"""A whole run at full concurrency against a rate-limited sandbox finishes without a failure caused by
a 429 (REFERENCE 1.7): the workers share one limiter that follows RateLimit-* and Retry-After.

The sandbox counts in one-second windows here (GitLab's are one minute) so that the test sees many
whole throttling cycles in a few seconds.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from pathlib import Path

import pytest

from benchmarks import workload
from provisioner.cli.progress import Progress
from provisioner.engine.run import run
from provisioner.facets import inventory_sections
from provisioner.facets.base import ApplyContext
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.sandbox import SandboxServer
from provisioner.sandbox.faults import RateLimiter as ServerLimit
from provisioner.sandbox.seed import seed_projects

PER_WINDOW = 30
# Projects checked by the paced runs: enough that a check of them spends several windows' budget (a
# check of the workload reads less per project as more of it is read in bulk).
PACED = 7


def test_a_rate_limited_run_converges_without_429_failures(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in workload.SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    count = 4
    seed_projects(sandbox.state, count, group=workload.GROUP)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(json.dumps(workload.inventory(count, onboarding=False)), encoding="utf-8")
    specs = list(load_inventory(inventory, sections=inventory_sections()).projects)
    server_limit = ServerLimit(PER_WINDOW, window=1.0)
    sandbox.app.runtime.limiter = server_limit
    ctx = ApplyContext(inventory_dir=str(tmp_path))

    api = GitLabApi(sandbox.url, sandbox.token, pool=24)
    try:
        applied = run(api, specs, mode="apply", ctx=ctx, concurrency=16)
        checked = run(api, specs, mode="check", ctx=ctx, concurrency=16)
        sent = api.stats.total
    finally:
        api.close()

    assert not applied.failed, [p.problems for p in applied.projects if p.problems]
    assert not checked.failed and not checked.drift
    assert sent > 3 * PER_WINDOW  # the run needed several windows of budget
    assert api.limiter.waited_seconds > 0  # and waited for them, as the headers said
    # Requests already in flight when the budget runs out may still meet a 429 (retried, never a
    # failure); following the headers keeps them to a few per window at most.
    assert server_limit.throttled <= sent // 10


def test_the_progress_line_moves_while_the_run_waits_for_the_rate_limit(
    sandbox: SandboxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a terminal (a CI log), progress says what the run waits for, and the log file has a
    line for each wait: a run held by GitLab's rate limit never looks like a hang."""
    seed_projects(sandbox.state, 3, group="limited")
    paths = [f"limited/project-{i:05d}" for i in range(3)]
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        json.dumps(
            {
                "version": 1,
                "projects": {
                    p: {"settings": {"build_timeout": 7200}, "variables": {"LEVEL": "1"}} for p in paths
                },
            }
        )
    )
    specs = list(load_inventory(inventory).projects)
    sandbox.app.runtime.limiter = ServerLimit(2, window=1.0)  # as `sandbox serve --rate-limit`, in seconds
    shown = io.StringIO()
    caplog.set_level(logging.INFO, logger="provisioner.gitlab.ratelimit")

    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        with Progress(len(specs), "check", stream=shown, interval=0) as progress:  # every event shown
            api.limiter.listeners.append(progress.waiting)
            # Project by project (no bulk reads): more requests than one window's budget.
            checked = run(api, specs, mode="check", on_result=progress, concurrency=4, prefetch=False)
    finally:
        api.close()

    assert not checked.failed
    lines = shown.getvalue().splitlines()
    waits = [i for i, line in enumerate(lines) if "for GitLab's rate limit (" in line]
    finished = [i for i, line in enumerate(lines) if "3/3 done" in line]
    assert waits and finished and waits[0] < finished[0], lines  # said while the run was waiting
    assert re.search(
        r"check: [0-2]/3 done, \d+:\d\d elapsed; waiting \d+(\.\d)? s for GitLab's rate limit",
        lines[waits[0]],
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "provisioner.gitlab.ratelimit"]
    assert logged and all(m.startswith("waiting ") and "GitLab's rate limit" in m for m in logged)


def test_a_paced_run_gets_no_429(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limiter spreads requests under the limit GitLab announces, instead of spending a window's
    budget and then waiting for the reset it announces: with GitLab's clock 1.5 s behind ours, the
    reset comes early by our clock, and a burst at it meets 429s (6 with the limiter that did that).
    2 s windows of 25, said as 750 a minute, so that the run sees several windows in seconds."""
    for name, value in workload.SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    seed_projects(sandbox.state, PACED, group=workload.GROUP)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(json.dumps(workload.inventory(PACED, onboarding=False)), encoding="utf-8")
    specs = list(load_inventory(inventory, sections=inventory_sections()).projects)
    # RateLimit-* on every answer: GitLab 18.6+ with the feature flag on (the test below: without it)
    server_limit = ServerLimit(25, clock=lambda: time.time() - 1.5, window=2.0, every_answer=True)
    sandbox.app.runtime.limiter = server_limit

    api = GitLabApi(sandbox.url, sandbox.token, pool=24)
    try:
        api.version()  # as `common.connect` does: the first answer tells the limit
        checked = run(api, specs, mode="check", ctx=ApplyContext(inventory_dir=str(tmp_path)), concurrency=16)
        sent = api.stats.total
    finally:
        api.close()

    assert not checked.failed, [p.problems for p in checked.projects if p.problems]
    assert sent > 2 * 25  # more than two windows' budget
    assert (server_limit.throttled, api.limiter.throttled) == (0, 0)


def test_where_gitlab_says_its_limit_only_on_a_429_the_run_paces_itself_after_the_first(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab's default: RateLimit-* only on the 429 (see the sandbox's RateLimiter). The first 429s
    (one per request in flight when the budget ran out) tell the limit; then the run is paced under
    it, and the windows after the first meet no 429."""
    for name, value in workload.SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    seed_projects(sandbox.state, PACED, group=workload.GROUP)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(json.dumps(workload.inventory(PACED, onboarding=False)), encoding="utf-8")
    specs = list(load_inventory(inventory, sections=inventory_sections()).projects)
    server_limit = ServerLimit(20, window=2.0)
    sandbox.app.runtime.limiter = server_limit
    concurrency = 16

    api = GitLabApi(sandbox.url, sandbox.token, pool=24)
    try:
        api.version()
        checked = run(
            api, specs, mode="check", ctx=ApplyContext(inventory_dir=str(tmp_path)), concurrency=concurrency
        )
        sent = api.stats.total
    finally:
        api.close()

    assert not checked.failed, [p.problems for p in checked.projects if p.problems]
    assert sent > 3 * 20  # more than three windows' budget
    assert 0 < server_limit.throttled <= concurrency  # the first window's overrun only
