"""A cold apply reads in bulk as check does: the facets whose bulk view is as good as REST for their
writes (files, variables, members) plan on it, and verification takes the answers to the writes instead
of reading again. Request counts from the sandbox's counters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from provisioner.gitlab.runners import MARK, to_record
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


def _apply_on_bulk_view(
    sandbox: SandboxServer,
    specs: list[ProjectSpec],
    tmp_path: Path,
    said: Callable[[int], Mapping[str, Any]],
    meanwhile: Callable[[int], None] = lambda _: None,
) -> tuple[int, ProjectResult]:
    """Apply platform/billing as a run with prefetch does (the facets confirm what bulk reads say), on
    bulk reads that said `said(project id)` (by the run cache's name), after `meanwhile(project id)`
    changed GitLab behind them."""
    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        ref = projects.find(api, "platform/billing")
        assert ref is not None
        for what, records in said(ref.id).items():
            api.cache.put(ref.id, what, records)
        meanwhile(ref.id)
        facets = [Confirmed(f, PlanOptions()) for f in FACETS]
        ctx = ApplyContext(inventory_dir=str(tmp_path))
        result = run(api, specs, mode="apply", ctx=ctx, facets=facets, prefetch=False)
    finally:
        api.close()
    (project,) = result.projects
    return ref.id, project


def _apply_on_a_stale_view(
    sandbox: SandboxServer,
    specs: list[ProjectSpec],
    tmp_path: Path,
    made: Sequence[tuple[str, str, dict[str, Any]]],
) -> tuple[int, ProjectResult]:
    """`_apply_on_bulk_view` on bulk reads that said platform/billing has none of each `made` (by the
    run cache's name: variables, members), after someone POSTed its body to its route."""

    def post_each(project_id: int) -> None:
        for _, route, body in made:
            made_meanwhile = requests.post(
                f"{sandbox.url}/api/v4/projects/{project_id}/{route}",
                json=body,
                headers={"PRIVATE-TOKEN": sandbox.token},
                timeout=30,
            )
            assert made_meanwhile.status_code == 201, made_meanwhile.text

    return _apply_on_bulk_view(sandbox, specs, tmp_path, lambda _: {w: () for w, _, _ in made}, post_each)


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
        # Runners: planned on the bulk view, the created runner known from what its POST sent.
        "GET /api/v4/projects/:id/runners",
        "GET /api/v4/runners/:id",
        # The files are committed straight to the default branch, its `can_push` not read first; the
        # facet's open merge request (none) came with the bulk read (graphql_proposals).
        "GET /api/v4/projects/:id/repository/branches/:branch",
        "GET /api/v4/projects/:id/merge_requests",
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


# -- runners: a create resting on the bulk view ------------------------------------------------------
_RUNNER = {"description": "bench-runner", "tags": ["bench"], "token": {"file": "tokens/billing-runner"}}


def _runners_document() -> dict[str, Any]:
    document = workload.inventory(0)
    document["defaults"] = {}
    document["projects"] = {"platform/billing": {"runners": {"create": [_RUNNER]}}}
    return document


def _make_runner(sandbox: SandboxServer, project_id: int, **body: Any) -> dict[str, Any]:
    made = requests.post(
        f"{sandbox.url}/api/v4/user/runners",
        json={"runner_type": "project_type", "project_id": project_id, "description": "bench-runner", **body},
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def _project_runners(sandbox: SandboxServer, project_id: int) -> list[dict[str, Any]]:
    headers = {"PRIVATE-TOKEN": sandbox.token}
    listed = requests.get(f"{sandbox.url}/api/v4/projects/{project_id}/runners", headers=headers, timeout=30)
    return [  # the world's own runners have other descriptions
        requests.get(f"{sandbox.url}/api/v4/runners/{r['id']}", headers=headers, timeout=30).json()
        for r in listed.json()
        if r["description"] == "bench-runner"
    ]


def test_a_runner_made_by_hand_after_the_bulk_read_leaves_two_the_tools_token_kept_and_one_reported(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    specs = workload_specs(tmp_path, _runners_document())
    made: list[dict[str, Any]] = []
    _, project = _apply_on_bulk_view(
        sandbox,
        specs,
        tmp_path,
        said=lambda _: {"runners": ()},
        meanwhile=lambda pid: made.append(_make_runner(sandbox, pid)),
    )

    # Planned on the bulk view (no runner), the create made a second runner: POST /user/runners refuses
    # nothing. The run keeps the token of the one it made; the person's runner is untouched.
    assert not project.problems, project.problems
    (theirs,) = made
    project_id = _project_id(sandbox)
    runners = _project_runners(sandbox, project_id)
    assert sorted(r["description"] for r in runners) == ["bench-runner", "bench-runner"]
    (mine,) = [r for r in runners if r["id"] != theirs["id"]]
    token = (tmp_path / "tokens/billing-runner").read_text().strip()
    verified = requests.post(f"{sandbox.url}/api/v4/runners/verify", json={"token": token}, timeout=30)
    assert verified.status_code == 200 and verified.json()["id"] == mine["id"]
    # Bounded: the next run writes nothing, and says the person's runner shares the description.
    second = _run(sandbox, specs, "apply", tmp_path)
    assert not second.failed and not second.drift
    (planned,) = second.projects
    notes = [c for c in planned.planned if c.facet == "runners" and "bench-runner" in c.target]
    assert [(c.target, c.action.value) for c in notes] == [
        (f'runner "bench-runner" (#{theirs["id"]})', "unmanaged")
    ], notes
    assert len(_project_runners(sandbox, project_id)) == 2


def _project_id(sandbox: SandboxServer) -> int:
    found = requests.get(
        f"{sandbox.url}/api/v4/projects/platform%2Fbilling",
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=30,
    )
    return int(found.json()["id"])


def test_a_duplicate_that_contacted_gitlab_after_the_bulk_read_is_not_deleted(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    specs = workload_specs(tmp_path, _runners_document())
    project_id = _project_id(sandbox)
    held = _make_runner(sandbox, project_id, tag_list=["bench"], maintenance_note=MARK)
    duplicate = _make_runner(sandbox, project_id, tag_list=["bench"], maintenance_note=MARK)
    (tmp_path / "tokens").mkdir()
    (tmp_path / "tokens/billing-runner").write_text(held["token"] + "\n")
    seen = tuple(to_record(r) for r in _project_runners(sandbox, project_id))  # neither has contacted

    def contact(_: int) -> None:  # a runner process takes the duplicate up
        answer = requests.post(
            f"{sandbox.url}/api/v4/runners/verify", json={"token": duplicate["token"]}, timeout=30
        )
        assert answer.status_code == 200

    _, project = _apply_on_bulk_view(sandbox, specs, tmp_path, lambda _: {"runners": seen}, contact)

    # Planned on the bulk view as a duplicate nobody holds the token of; read just before the delete,
    # it has contacted GitLab since: it stays, and is reported.
    assert not project.problems, project.problems
    assert {r["id"] for r in _project_runners(sandbox, project_id)} == {held["id"], duplicate["id"]}
    assert not project.remaining
