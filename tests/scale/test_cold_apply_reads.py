"""A cold apply reads in bulk as check does: the facets whose bulk view is as good as REST for their
writes (files, variables, members) plan on it, and verification takes the answers to the writes instead
of reading again. Request counts from the sandbox's counters."""

from __future__ import annotations

from collections.abc import Sequence
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
    made: Sequence[tuple[str, str, dict[str, Any]]],
) -> tuple[int, ProjectResult]:
    """Apply platform/billing as a run with prefetch does (the facets confirm what bulk reads say), on
    bulk reads that said it has none of each `made` (by the run cache's name: variables, members), after
    someone POSTed its body to its route."""
    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        ref = projects.find(api, "platform/billing")
        assert ref is not None
        for what, route, body in made:
            api.cache.put(ref.id, what, ())  # what the bulk read said: none
            made_meanwhile = requests.post(
                f"{sandbox.url}/api/v4/projects/{ref.id}/{route}",
                json=body,
                headers={"PRIVATE-TOKEN": sandbox.token},
                timeout=30,
            )
            assert made_meanwhile.status_code == 201, made_meanwhile.text
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
    ):
        assert unread not in routes, (unread, routes.get(unread))
    # The registry's allowlists and protection rules plan on their bulk reads and verify on the answers;
    # the job token switch is read over REST (GraphQL shows the project's own setting, not what GitLab
    # enforces), once: the PATCH is verified by what it set (provisioner.gitlab.job_tokens).
    for unread in (
        "GET /api/v4/projects/:id/job_token_scope/allowlist",
        "GET /api/v4/projects/:id/job_token_scope/groups_allowlist",
        "GET /api/v4/projects/:id/packages/protection/rules",
        "GET /api/v4/projects/:id/registry/protection/repository/rules",
    ):
        assert unread not in routes, (unread, routes.get(unread))
    assert routes["POST /api/v4/projects/:id/job_token_scope/groups_allowlist"] == COUNT
    assert routes["POST /api/v4/projects/:id/packages/protection/rules"] == COUNT
    assert routes["GET /api/v4/projects/:id/job_token_scope"] == COUNT
    # Protected branches stay confirmed over REST (a level change is a delete and a create, which GitLab
    # does not refuse on a stale view): once to plan; the approval rule names `main` by the id the
    # POST that replaced it answered, and verification reads nothing again.
    assert routes["GET /api/v4/projects/:id/protected_branches"] == COUNT

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
    made = [("variables", "variables", {"key": "RELEASE_CHANNEL", "value": "theirs"})]
    project_id, project = _apply_on_a_stale_view(sandbox, specs, tmp_path, made)

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
    added = [("members", "members", {"user_id": made.json()["id"], "access_level": 30})]
    project_id, project = _apply_on_a_stale_view(sandbox, specs, tmp_path, added)

    # The add planned on the stale view was refused (409): the member keeps the role given meanwhile,
    # read again and reported; the next run reads it afresh and sets the inventory's.
    assert [(p.kind, p.facet) for p in project.problems] == [(ProblemKind.NOT_STICKING, "members")]
    member = requests.get(
        f"{sandbox.url}/api/v4/projects/{project_id}/members/{made.json()['id']}", headers=headers, timeout=30
    ).json()
    assert member["access_level"] == 30
    assert not _run(sandbox, specs, "apply", tmp_path).failed
    assert not _run(sandbox, specs, "check", tmp_path).drift


def test_registry_entries_made_after_the_bulk_read_are_not_overwritten_and_the_next_run_converges(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    headers = {"PRIVATE-TOKEN": sandbox.token}
    group = requests.get(f"{sandbox.url}/api/v4/groups/platform", headers=headers, timeout=30).json()
    rule = {
        "package_name_pattern": "bench-*",
        "package_type": "pypi",
        "minimum_access_level_for_push": "maintainer",
    }
    document = workload.inventory(0)
    document["defaults"] = {
        "registry": {"job_token_scope": {"groups": ["platform"]}, "package_protection_rules": [rule]}
    }
    document["projects"] = {"platform/billing": {}}
    specs = workload_specs(tmp_path, document)
    theirs = rule | {"minimum_access_level_for_push": "owner"}
    made = [
        ("job_token_groups_allowlist", "job_token_scope/groups_allowlist", {"target_group_id": group["id"]}),
        ("package_protection_rules", "packages/protection/rules", theirs),
    ]
    project_id, project = _apply_on_a_stale_view(sandbox, specs, tmp_path, made)

    # Planned on the bulk view (neither there), both adds were refused: the group is in the allowlist
    # as wanted; the rule keeps the level given meanwhile, read again and reported as not sticking.
    assert [(p.kind, p.facet) for p in project.problems] == [(ProblemKind.NOT_STICKING, "registry")]
    assert "package protection rule" in project.problems[0].message
    rules = requests.get(
        f"{sandbox.url}/api/v4/projects/{project_id}/packages/protection/rules", headers=headers, timeout=30
    ).json()
    assert [r["minimum_access_level_for_push"] for r in rules] == ["owner"]
    # The next run reads the rules afresh and sets the inventory's level.
    assert not _run(sandbox, specs, "apply", tmp_path).failed
    assert not _run(sandbox, specs, "check", tmp_path).drift
