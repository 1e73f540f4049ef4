"""An unreliable network: 5% injected faults (5xx, dropped connections before and after the server
acted, timeouts) and bursts of 429. `apply` on 200 projects must still converge in one run, create
nothing twice, and leave nothing for a second run to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.conftest import (
    API_KEY,
    FAULT_KINDS,
    SERVER_TIMEOUT,
    bulk_inventory,
    census,
    cli,
    seed_projects,
)
from tests.support import Sandbox

PROJECTS = 200
EXPECTED_VARIABLES = {
    ("PIP_INDEX_URL", "*"): "https://pypi.example.internal/simple",
    ("API_KEY", "*"): API_KEY,
    ("DEPLOY_TARGET", "production"): "prod-cluster",
    ("DEPLOY_TARGET", "staging"): "staging-cluster",
}


def problems(report: str) -> str:
    return "\n".join(line for line in report.splitlines() if line.lstrip().startswith("!"))


def throttle_bursts(every: int, size: int, count: int) -> list[dict[str, object]]:
    """`count` bursts of `size` 429s, one every `every` requests (the script entries count in parallel)."""
    return [{"route": "*", "kind": "throttle", "times": size, "after": every * (i + 1)} for i in range(count)]


@pytest.mark.parametrize("seed", [7, 3])
def test_apply_converges_through_faults_and_429_bursts_without_duplicates(
    sandbox: Sandbox, workdir: Path, seed: int
) -> None:
    paths = seed_projects(sandbox, PROJECTS)
    (workdir / "inventory.yaml").write_text(bulk_inventory(paths))
    sandbox.faults(
        rate=0.05,
        seed=seed,
        kinds=FAULT_KINDS,
        timeout_seconds=SERVER_TIMEOUT,
        script=throttle_bursts(every=300, size=12, count=4),
    )

    apply = cli(sandbox, workdir, "apply", "--yes", "--concurrency", "8")

    faults = sandbox.admin.post("/-/sandbox/faults", json={"rate": 0}).json()
    assert faults["injected"] > 50 and faults["script"] == [], faults  # every burst of 429 was served
    assert apply.returncode == 0, problems(apply.stdout) or apply.stderr[-3000:]

    # A re-run reports no drift, and writes nothing.
    sandbox.reset_counters()
    check = cli(sandbox, workdir, "check")
    assert check.returncode == 0, check.stdout[-3000:]
    again = cli(sandbox, workdir, "apply", "--yes")
    assert again.returncode == 0, again.stdout[-3000:]
    assert sandbox.counters()["writes"] == 0

    # Measured on the server: everything exists, exactly once.
    seen = census(sandbox, paths)
    assert seen.duplicates() == {}
    expected = {
        (path, key, scope): value for path in paths for (key, scope), value in EXPECTED_VARIABLES.items()
    }
    assert seen.values == expected  # every variable, its value, and nothing else (LEGACY_FLAG pruned)
    group_vars = sandbox.api.get("/groups/bulk/variables").json()
    assert [v["key"] for v in group_vars] == ["GROUP_WIDE"]
