"""A whole run at full concurrency against a rate-limited sandbox finishes without a failure caused by
a 429 (REFERENCE 1.7): the workers share one limiter that follows RateLimit-* and Retry-After.

The sandbox counts in one-second windows here (GitLab's are one minute) so that the test sees many
whole throttling cycles in a few seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import workload
from provisioner.engine.run import run
from provisioner.facets.base import ApplyContext
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.sandbox import SandboxServer
from provisioner.sandbox.faults import RateLimiter as ServerLimit
from provisioner.sandbox.seed import seed_projects

PER_WINDOW = 30


def test_a_rate_limited_run_converges_without_429_failures(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in workload.SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    count = 4
    seed_projects(sandbox.state, count, group=workload.GROUP)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(json.dumps(workload.inventory(count, onboarding=False)), encoding="utf-8")
    specs = list(load_inventory(inventory).projects)
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
