"""An unreliable network: 5% injected faults (5xx, dropped connections before and after the server
acted, timeouts) and bursts of 429. `apply` on 200 projects must still converge in one run, create
nothing twice (measured through the API, not the tool's report), and leave nothing for a second run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    API_KEY,
    DEPLOY_TOKEN,
    FAULT_KINDS,
    RUNNER,
    SERVER_TIMEOUT,
    bulk_inventory,
    census,
    cli,
    forbid_pushes,
    keyring_of,
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


def test_apply_on_200_projects_converges_through_faults_without_duplicates_or_lost_tokens(
    sandbox: Sandbox, workdir: Path
) -> None:
    """Settings, variables (created, updated, pruned), runners and deploy tokens (their one-time tokens
    kept), protected tags, and the blueprint's files as one commit or, where nobody may push, one merge
    request: all made exactly once, in one run, whatever the network did."""
    paths = seed_projects(sandbox, PROJECTS)
    proposals = paths[1::2]  # nobody may push there: the files go through a merge request
    for path in proposals:
        forbid_pushes(sandbox, path)
    (workdir / "inventory.yaml").write_text(bulk_inventory(paths, everything=True))
    sandbox.faults(
        rate=0.05,
        seed=11,
        kinds=FAULT_KINDS,
        timeout_seconds=SERVER_TIMEOUT,
        script=throttle_bursts(every=500, size=12, count=4),
    )

    apply = cli(sandbox, workdir, "apply", "--yes", "--concurrency", "8")

    faults = sandbox.admin.post("/-/sandbox/faults", json={"rate": 0}).json()
    assert faults["injected"] > 100 and faults["script"] == [], (
        faults,
        apply.stdout[-2000:],
        apply.stderr[-2000:],
    )
    assert apply.returncode == 0, problems(apply.stdout) or apply.stderr[-3000:]

    # Nothing left to do: a second apply writes nothing; check finds no change to make and no problem,
    # only the merge requests waiting for a person.
    sandbox.reset_counters()
    again = cli(sandbox, workdir, "apply", "--yes")
    assert again.returncode == 0 and sandbox.counters()["writes"] == 0, again.stdout[-3000:]
    check = cli(sandbox, workdir, "check", "--json", "check.json")
    report = json.loads((workdir / "check.json").read_text())
    awaiting = {p["project"] for p in report["projects"] if p["awaiting"]}
    assert check.returncode == 2 and awaiting == set(proposals)
    assert all(not p["changes"] and not p["problems"] for p in report["projects"])

    seen = census(sandbox, paths)
    assert seen.duplicates() == {}
    expected = {
        (path, key, scope): value for path in paths for (key, scope), value in EXPECTED_VARIABLES.items()
    }
    assert seen.values == expected
    assert set(seen.runners) == {(path, RUNNER) for path in paths}
    assert set(seen.deploy_tokens) == {(path, DEPLOY_TOKEN) for path in paths}
    assert set(seen.merge_requests) == {(path, "main") for path in proposals}
    assert {path for path, _ in seen.commits} == set(paths)  # one commit each: on main, or proposed

    # Every one-time token reached the keyring, and it is the one GitLab holds now.
    keyring = keyring_of(workdir)
    for path in paths:
        project = sandbox.api.get(f"/projects/{path.replace('/', '%2F')}").json()
        (runner,) = [r for r in sandbox.state.runners.values() if project["id"] in r.project_ids]
        assert keyring.get_password("provisioner-runner", f"{path}/{RUNNER}") == runner.token, path
        (token,) = [
            t for t in sandbox.state.deploy_tokens.values() if t.project_id == project["id"] and not t.revoked
        ]
        assert keyring.get_password("provisioner-deploy-token", f"{path}/{DEPLOY_TOKEN}") == token.secret, (
            path
        )


@pytest.mark.parametrize(
    ("kind", "posts"),
    [
        ("drop_after", 1),  # carried out, answer lost: found by looking, never posted again
        ("timeout", 1),  # carried out, answer withheld: the same
        ("drop_before", 2),  # never arrived: looked, absent, posted again
        ("error", 2),  # a 5xx, not carried out: the same
    ],
)
def test_a_create_with_an_unknown_outcome_is_looked_for_before_it_is_sent_again(
    sandbox: Sandbox, workdir: Path, kind: str, posts: int
) -> None:
    (path,) = seed_projects(sandbox, 1)
    (workdir / "inventory.yaml").write_text(
        f"version: 1\nprojects:\n  {path}:\n    variables:\n      ONLY_ONE: the-value\n"
    )
    route = "POST /api/v4/projects/:id/variables"
    sandbox.faults(timeout_seconds=SERVER_TIMEOUT, script=[{"route": route, "kind": kind}])
    sandbox.reset_counters()

    apply = cli(sandbox, workdir, "apply", "--yes")

    assert apply.returncode == 0, apply.stdout
    routes = sandbox.counters()["by_route"]
    assert routes[route] == posts
    assert routes["GET /api/v4/projects/:id/variables/:key"] == 1  # the look in between
    assert census(sandbox, [path]).variables[(path, "ONLY_ONE", "*")] == 1
