"""A cold apply reads in bulk as check does: the facets whose bulk view is as good as REST for their
writes (files, variables, members) plan on it, and verification takes the answers to the writes instead
of reading again. Request counts from the sandbox's counters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from benchmarks import workload
from provisioner.engine.prefetch import Confirmed
from provisioner.engine.run import run
from provisioner.facets import FACETS, inventory_sections
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.gitlab import projects
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import ProblemKind
from provisioner.sandbox import SandboxServer
from provisioner.sandbox.seed import seed_projects
from tests.scale.conftest import counters, reset_counters

COUNT = 3


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in workload.SECRET_ENV.items():
        monkeypatch.setenv(name, value)


def _specs(tmp_path: Path, document: dict[str, Any]) -> list[ProjectSpec]:
    path = tmp_path / "inventory.yaml"
    path.write_text(json.dumps(document), encoding="utf-8")
    return list(load_inventory(path, sections=inventory_sections()).projects)


def _run(server: SandboxServer, specs: list[ProjectSpec], mode: str, tmp_path: Path) -> Any:
    api = GitLabApi(server.url, server.token, pool=8)
    try:
        return run(api, specs, mode=mode, ctx=ApplyContext(inventory_dir=str(tmp_path)), concurrency=4)
    finally:
        api.close()


def _world(sandbox: SandboxServer, tmp_path: Path) -> list[ProjectSpec]:
    seed_projects(sandbox.state, COUNT, group=workload.GROUP)
    for method, path, body in workload.SETUP:
        answer = requests.request(
            method,
            f"{sandbox.url}/api/v4{path}",
            json=body,
            headers={"PRIVATE-TOKEN": sandbox.token},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    return _specs(tmp_path, workload.inventory(COUNT))


def test_a_cold_apply_plans_files_variables_and_members_on_bulk_reads(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    specs = _world(sandbox, tmp_path)
    reset_counters(sandbox)

    applied = _run(sandbox, specs, "apply", tmp_path)

    assert not applied.failed, [p.problems for p in applied.projects if p.problems]
    routes = counters(sandbox)["by_route"]
    assert routes["POST /api/v4/projects/:id/repository/commits"] == COUNT
    assert (
        routes["POST /api/v4/projects/:id/variables"] >= COUNT and routes["POST /api/v4/projects/:id/members"]
    )
    # Neither to plan (the bulk reads showed them) nor to verify (the writes' answers did).
    for unread in (
        "HEAD /api/v4/projects/:id/repository/files/:file_path",
        "GET /api/v4/projects/:id/variables",
        "GET /api/v4/projects/:id/members",
    ):
        assert unread not in routes, (unread, routes.get(unread))
    # Protected branches stay confirmed over REST (GraphQL leaves out Premium grants): once to plan, and
    # once to verify (the rule is replaced: its DELETE answers nothing).
    assert routes["GET /api/v4/projects/:id/protected_branches"] == 2 * COUNT

    reset_counters(sandbox)
    again = _run(sandbox, specs, "apply", tmp_path)
    assert not again.failed and not again.drift and counters(sandbox)["writes"] == 0
    checked = _run(sandbox, specs, "check", tmp_path)
    assert not checked.failed and not checked.drift


def test_a_variable_created_after_the_bulk_read_is_not_overwritten_and_the_next_run_converges(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    document = workload.inventory(0)
    document["defaults"] = {"variables": {"RELEASE_CHANNEL": "stable"}}
    document["projects"] = {"platform/billing": {}}
    specs = _specs(tmp_path, document)
    headers = {"PRIVATE-TOKEN": sandbox.token}
    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        ref = projects.find(api, "platform/billing")
        assert ref is not None
        api.cache.put(ref.id, "variables", ())  # what the bulk read said: no variables
        created = requests.post(
            f"{sandbox.url}/api/v4/projects/{ref.id}/variables",
            json={"key": "RELEASE_CHANNEL", "value": "theirs"},
            headers=headers,
            timeout=30,
        )
        assert created.status_code == 201, created.text

        # As a run with prefetch does: the facets confirm what bulk reads say (here: only the variables).
        facets = [Confirmed(f, PlanOptions()) for f in FACETS]
        ctx = ApplyContext(inventory_dir=str(tmp_path))
        result = run(api, specs, mode="apply", ctx=ctx, facets=facets, prefetch=False)
    finally:
        api.close()

    # Planned on the bulk view (nothing there), the create was refused: nothing overwritten; read again,
    # what GitLab holds is reported, and the next run (reading it afresh) sets it.
    (project,) = result.projects
    said = [(p.kind, p.facet) for p in project.problems]
    assert said == [(ProblemKind.NOT_STICKING, "variables")], project.problems
    value = requests.get(
        f"{sandbox.url}/api/v4/projects/{ref.id}/variables/RELEASE_CHANNEL", headers=headers, timeout=30
    ).json()["value"]
    assert value == "theirs"
    second = _run(sandbox, specs, "apply", tmp_path)
    assert not second.failed
    assert not _run(sandbox, specs, "check", tmp_path).drift


def test_a_member_added_after_the_bulk_read_is_not_overwritten_and_the_next_run_converges(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    headers = {"PRIVATE-TOKEN": sandbox.token}
    user = {"username": "bench-lead", "name": "Bench Lead", "email": "lead@bench.test"}
    made = requests.post(f"{sandbox.url}/api/v4/users", json=user, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    document = workload.inventory(0)
    document["defaults"] = {"members": {"users": {"bench-lead": "maintainer"}}}
    document["projects"] = {"platform/billing": {}}
    specs = _specs(tmp_path, document)
    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        ref = projects.find(api, "platform/billing")
        assert ref is not None
        api.cache.put(ref.id, "members", ())  # what the bulk read said: no direct members
        added = requests.post(
            f"{sandbox.url}/api/v4/projects/{ref.id}/members",
            json={"user_id": made.json()["id"], "access_level": 30},
            headers=headers,
            timeout=30,
        )
        assert added.status_code == 201, added.text
        facets = [Confirmed(f, PlanOptions()) for f in FACETS]
        ctx = ApplyContext(inventory_dir=str(tmp_path))
        result = run(api, specs, mode="apply", ctx=ctx, facets=facets, prefetch=False)
    finally:
        api.close()

    # The add planned on the stale view was refused (409): the member keeps the role given meanwhile,
    # read again and reported; the next run reads it afresh and sets the inventory's.
    (project,) = result.projects
    assert [(p.kind, p.facet) for p in project.problems] == [(ProblemKind.NOT_STICKING, "members")]
    member = requests.get(
        f"{sandbox.url}/api/v4/projects/{ref.id}/members/{made.json()['id']}", headers=headers, timeout=30
    ).json()
    assert member["access_level"] == 30
    assert not _run(sandbox, specs, "apply", tmp_path).failed
    assert not _run(sandbox, specs, "check", tmp_path).drift
