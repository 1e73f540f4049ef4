"""The onboarding facets when things go wrong: creates whose answer is lost (looked for before posting
again: no duplicate), a GitLab too old for a role (a finding, no write), a token too weak (GitLab's
refusal, said once)."""

from __future__ import annotations

from provisioner.sandbox.seed import DANA_TOKEN
from provisioner.secrets import Secret
from tests.facets.onboarding import project
from tests.facets.sandbox_world import World, converge, pending, problems

INGEST = "data/ingest"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILkYXU2fVeO4/0rDCSsswP5iIX2+B6tv15YT3KObgyDl ci"
CREATES = [
    "POST /api/v4/projects/:id/members",
    "POST /api/v4/projects/:id/share",
    "POST /api/v4/projects/:id/deploy_keys",
    "POST /api/v4/projects/:id/pipeline_schedules",
    "POST /api/v4/projects/:id/pipeline_schedules/:pipeline_schedule_id/variables",
]


def onboarding(path: str = "data/reports") -> object:
    return project(
        path,
        secrets={"env:T": Secret("lost-answer-secret", "env:T")},
        settings={"ci_pipeline_variables_minimum_override_role": "maintainer"},
        members={"users": {"dana": "reporter"}},
        shares={"groups": {"platform": "reporter"}},
        deploy_keys={"keys": [{"title": "ci", "key": KEY}]},
        pipeline_schedules={
            "schedules": {"nightly": {"cron": "0 3 * * *", "variables": {"T": {"secret": "env:T"}}}}
        },
    )


def test_every_create_survives_a_lost_answer(world: World):
    world.faults(*({"route": route, "kind": "drop_after", "times": 1} for route in CREATES))
    world.reset_counters()
    first = world.run([onboarding()], "apply")
    assert problems(first) == []
    by_route = world.counters()["by_route"]
    assert {route: by_route.get(route) for route in CREATES} == dict.fromkeys(CREATES, 1)  # each posted once
    converge(world, [onboarding()])
    pid = world.project_id("data/reports")
    assert [m["username"] for m in world.get(f"/projects/{pid}/members")] == ["dana"]
    assert len(world.get(f"/projects/{pid}/deploy_keys")) == 1
    (schedule,) = world.get(f"/projects/{pid}/pipeline_schedules")
    assert [
        v["key"] for v in world.get(f"/projects/{pid}/pipeline_schedules/{schedule['id']}")["variables"]
    ] == ["T"]


def test_planner_on_a_gitlab_older_than_17_7_is_a_finding_and_nothing_is_written(world: World):
    world.set_version("17.4.0")
    world.reset_counters()
    spec = project(
        "data/reports", members={"users": {"dana": "planner"}}, shares={"groups": {"platform": "planner"}}
    )
    result = world.run([spec], "apply")
    assert problems(result) == [] and world.writes() == 0
    found = {
        (c.facet, c.action.value, (c.after or {}).get("needs")) for p in result.projects for c in p.planned
    }
    assert found == {
        ("members", "unsupported", "needs GitLab 17.7"),
        ("shares", "unsupported", "needs GitLab 17.7"),
    }
    assert pending(result) == []  # neither drift nor a write


def test_a_developer_s_token_is_told_before_anything_is_sent(world: World):
    """The role check before the first write (issue 19, item 9): the members facet declares Maintainer."""
    result = world.run(
        [project("platform/billing", members={"users": {"rita": "reporter"}})], token=DANA_TOKEN
    )
    (problem,) = problems(result)
    assert "skipped, nothing written" in problem and "members need Maintainer" in problem
    assert world.get(f"/projects/{world.project_id('platform/billing')}/members") == []
