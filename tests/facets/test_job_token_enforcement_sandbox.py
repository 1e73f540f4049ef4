"""An instance that enforces every project's job token allowlist (GitLab 17.6+, on by default from 18.0
[G:doc/administration/settings/continuous_integration.md#enforce-job-token-allowlist]): REST reads
`inbound_enabled: true` whatever the project says, a PATCH to false answers 204 and changes only the
project's own setting, and GraphQL shows that own setting [G:lib/api/entities/project_job_token_scope.rb,
app/graphql/types/ci/ci_cd_setting_type.rb]. The tool says "enforced by this instance" once per project,
neither drift nor a write, and never trusts GraphQL's value for it; without administrator rights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.inventory.schema import JobTokenScope, Registry
from provisioner.model import Action, RunResult
from tests.facets.sandbox_world import World, pending, problems, spec
from tests.support import Sandbox

WAREHOUSE = "data/warehouse"  # the project's own setting is off (seed)
REPORTS = "data/reports"  # on, as GitLab sets it for new projects
SCOPE = "GET /api/v4/projects/:id/job_token_scope"
PATCH = "PATCH /api/v4/projects/:id/job_token_scope"


@pytest.fixture
def enforcing(gitlab_at: Callable[..., Sandbox], tmp_path: Path) -> World:
    return World(gitlab_at("18.0", enforce_job_token_allowlist=True).server, tmp_path)


def off(path: str) -> object:
    return spec(path, registry=Registry(job_token_scope=JobTokenScope(enabled=False)))


def findings(result: RunResult) -> list[tuple[str, str, str]]:
    return [
        (p.project, c.target, str((c.after or {}).get("needs")))
        for p in result.projects
        for c in p.planned
        if c.action is Action.UNSUPPORTED
    ]


ENFORCED = "an administrator to stop enforcing job token allowlists: enforced by this instance"


@pytest.mark.parametrize("prefetch", [True, False], ids=["bulk", "rest"])
def test_turning_the_scope_off_is_said_once_and_never_written(enforcing: World, prefetch: bool):
    """In bulk, GraphQL says the project's own setting is off, as the inventory wants: that is no proof
    of compliance, REST says what GitLab enforces. Project by project, the own setting is asked of
    GraphQL only because REST says on while the inventory says off."""
    for mode in ("plan", "apply", "check"):
        enforcing.reset_counters()
        result = enforcing.run([off(WAREHOUSE)], mode, prefetch=prefetch)
        assert findings(result) == [(WAREHOUSE, "job token scope", ENFORCED)], mode
        assert (pending(result), problems(result), result.drift, enforcing.writes()) == ([], [], False, 0)
        assert enforcing.counters()["by_route"][SCOPE] == 1


def test_a_project_whose_own_setting_is_on_is_turned_off_once_then_said(enforcing: World):
    """The PATCH stores the project's own setting (what counts if the administrator stops enforcing):
    written once, then verified as enforced by the instance, not as "did not stick"; and never again."""
    enforcing.reset_counters()
    first = enforcing.run([off(REPORTS)], "apply")
    assert problems(first) == [] and [c.target for p in first.projects for c in p.applied] == [
        "job token scope"
    ]
    assert enforcing.counters()["by_route"][PATCH] == 1
    assert [c for p in first.projects for c in p.remaining] == []
    for mode in ("apply", "check"):
        enforcing.reset_counters()
        again = enforcing.run([off(REPORTS)], mode)
        assert findings(again) == [(REPORTS, "job token scope", ENFORCED)]
        assert (enforcing.writes(), again.drift, problems(again)) == (0, False, [])


def test_an_inventory_that_wants_the_scope_on_is_in_sync_on_such_an_instance(enforcing: World):
    enforcing.reset_counters()
    result = enforcing.run(
        [spec(WAREHOUSE, registry=Registry(job_token_scope=JobTokenScope(enabled=True)))], "apply"
    )
    assert (findings(result), pending(result), enforcing.writes()) == ([], [], 0)


def test_without_enforcement_turning_it_off_is_written_and_sticks(gitlab_at, tmp_path: Path):
    world = World(gitlab_at("18.0").server, tmp_path)
    first = world.run([off(WAREHOUSE), off(REPORTS)], "apply")
    assert findings(first) == [] and problems(first) == []
    assert [(p.project, [c.target for c in p.applied]) for p in first.projects] == [
        (WAREHOUSE, []),
        (REPORTS, ["job token scope"]),
    ]
    world.reset_counters()
    assert pending(world.run([off(WAREHOUSE), off(REPORTS)], "plan")) == []
