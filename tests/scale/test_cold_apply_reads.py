"""A cold apply reads in bulk as check does: the facets whose bulk view is as good as REST for their
writes (files, variables, members) plan on it, and verification takes the answers to the writes instead
of reading again. Request counts from the sandbox's counters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from benchmarks import workload
from provisioner.engine.prefetch import Confirmed
from provisioner.engine.run import run
from provisioner.facets import FACETS
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.gitlab import projects
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import ProblemKind, ProjectResult
from provisioner.sandbox import SandboxServer
from tests.scale.conftest import counters, reset_counters, workload_specs, workload_world

COUNT = 3


pytestmark = pytest.mark.usefixtures("workload_secrets")


def _run(server: SandboxServer, specs: list[ProjectSpec], mode: str, tmp_path: Path) -> Any:
    api = GitLabApi(server.url, server.token, pool=8)
    try:
        return run(api, specs, mode=mode, ctx=ApplyContext(inventory_dir=str(tmp_path)), concurrency=4)
    finally:
        api.close()


def _apply_on_a_stale_view(
    sandbox: SandboxServer,
    specs: list[ProjectSpec],
    tmp_path: Path,
    what: str,
    body: dict[str, Any],
) -> tuple[int, ProjectResult]:
    """Apply platform/billing as a run with prefetch does (the facets confirm what bulk reads say), on a
    bulk read that said it has no `what` (variables, members), after someone POSTed `body` to them."""
    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        ref = projects.find(api, "platform/billing")
        assert ref is not None
        api.cache.put(ref.id, what, ())  # what the bulk read said: none
        made = requests.post(
            f"{sandbox.url}/api/v4/projects/{ref.id}/{what}",
            json=body,
            headers={"PRIVATE-TOKEN": sandbox.token},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        facets = [Confirmed(f, PlanOptions()) for f in FACETS]
        ctx = ApplyContext(inventory_dir=str(tmp_path))
        result = run(api, specs, mode="apply", ctx=ctx, facets=facets, prefetch=False)
    finally:
        api.close()
    (project,) = result.projects
    return ref.id, project


def test_a_cold_apply_plans_files_variables_and_members_on_bulk_reads(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    workload_world(sandbox, COUNT)
    specs = workload_specs(tmp_path, workload.inventory(COUNT))
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
        # The files are committed straight to the default branch, its `can_push` not read first; the
        # facet's open merge request (none) came with the bulk read (graphql_proposals).
        "GET /api/v4/projects/:id/repository/branches/:branch",
        "GET /api/v4/projects/:id/merge_requests",
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
    specs = workload_specs(tmp_path, document)
    project_id, project = _apply_on_a_stale_view(
        sandbox, specs, tmp_path, "variables", {"key": "RELEASE_CHANNEL", "value": "theirs"}
    )

    # Planned on the bulk view (nothing there), the create was refused: nothing overwritten; read again,
    # what GitLab holds is reported, and the next run (reading it afresh) sets it.
    said = [(p.kind, p.facet) for p in project.problems]
    assert said == [(ProblemKind.NOT_STICKING, "variables")], project.problems
    value = requests.get(
        f"{sandbox.url}/api/v4/projects/{project_id}/variables/RELEASE_CHANNEL",
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=30,
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
    specs = workload_specs(tmp_path, document)
    project_id, project = _apply_on_a_stale_view(
        sandbox, specs, tmp_path, "members", {"user_id": made.json()["id"], "access_level": 30}
    )

    # The add planned on the stale view was refused (409): the member keeps the role given meanwhile,
    # read again and reported; the next run reads it afresh and sets the inventory's.
    assert [(p.kind, p.facet) for p in project.problems] == [(ProblemKind.NOT_STICKING, "members")]
    member = requests.get(
        f"{sandbox.url}/api/v4/projects/{project_id}/members/{made.json()['id']}", headers=headers, timeout=30
    ).json()
    assert member["access_level"] == 30
    assert not _run(sandbox, specs, "apply", tmp_path).failed
    assert not _run(sandbox, specs, "check", tmp_path).drift
