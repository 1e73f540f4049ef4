"""The pipeline schedules facet against the sandbox over HTTP: schedules and their variables converge,
a schedule someone else owns is taken over only when asked (and then once), drift is found, import
reproduces them without a value."""

from __future__ import annotations

import re
from pathlib import Path

from provisioner.sandbox.seed import DANA_TOKEN
from provisioner.secrets import Secret
from tests.facets.onboarding import Cli, new_user, project, routes, token_for
from tests.facets.sandbox_world import World, applied, converge, pending, problems

BILLING = "platform/billing"
TOKEN = "sched-token-value-5c1e9a"
SECRET_AT = ("pipeline_schedules", "schedules", "nightly", "variables", "TOKEN")
LET_MAINTAINERS = {"ci_pipeline_variables_minimum_override_role": "maintainer"}


def nightly(**extra: object) -> dict:
    schedule = {"cron": "0 3 * * *", "variables": {"TOKEN": {"secret": "env:T"}, "CHECK": "1"}, **extra}
    return {"schedules": {"nightly": schedule}}


def spec(path: str = BILLING, config: dict | None = None, **sections: object):
    return project(
        path,
        secrets={"env:T": Secret(TOKEN, "env:T")},
        settings=LET_MAINTAINERS,
        pipeline_schedules=config or nightly(),
        **sections,
    )


def schedules_of(world: World, path: str = BILLING) -> list[dict]:
    pid = world.project_id(path)
    return [
        world.get(f"/projects/{pid}/pipeline_schedules/{s['id']}")
        for s in world.get(f"/projects/{pid}/pipeline_schedules")
    ]


def test_a_schedule_and_its_variables_converge(world: World):
    result = converge(world, [spec()])
    assert ("create", "schedule nightly") in applied(result)
    (schedule,) = schedules_of(world)
    assert (schedule["ref"], schedule["cron"], schedule["active"]) == ("refs/heads/main", "0 3 * * *", True)
    assert {v["key"]: v["value"] for v in schedule["variables"]} == {"CHECK": "1", "TOKEN": TOKEN}


def test_the_default_branch_is_the_ref_when_none_is_given(world: World):
    converge(world, [spec("data/legacy-etl", {"schedules": {"nightly": {"cron": "0 4 * * *"}}})])
    assert schedules_of(world, "data/legacy-etl")[0]["ref"] == "refs/heads/master"


def test_a_change_behind_the_tool_s_back_is_drift_that_shows_no_value(world: World):
    converge(world, [spec()])
    pid = world.project_id(BILLING)
    (schedule,) = schedules_of(world)
    world.request(
        "PUT",
        f"/projects/{pid}/pipeline_schedules/{schedule['id']}/variables/TOKEN",
        json={"value": "changed-by-hand-123"},
    )
    world.request("PUT", f"/projects/{pid}/pipeline_schedules/{schedule['id']}", json={"cron": "0 5 * * *"})
    (change,) = pending(world.run([spec()], "check"))
    assert change["before"]["cron"] == "0 5 * * *" and change["after"]["cron"] == "0 3 * * *"
    assert "changed-by-hand" not in str(change) and TOKEN not in str(change)


def test_variables_refused_by_the_project_s_settings_say_which_setting(world: World):
    result = world.run(
        [project(BILLING, secrets={"env:T": Secret(TOKEN, "env:T")}, pipeline_schedules=nightly())]
    )
    assert any("ci_pipeline_variables_minimum_override_role" in p for p in problems(result)), problems(result)


def test_someone_else_s_schedule_is_taken_over_only_when_asked_and_then_once(world: World):
    billing = world.project_id(BILLING)
    maya = new_user(world, "maya")
    world.request("POST", "/groups/platform/members", json={"user_id": maya, "access_level": 40})
    # Dana (a Developer) made the schedule; maya's token (a Maintainer, not an administrator) runs the tool.
    made = world.request(
        "POST",
        f"/projects/{billing}/pipeline_schedules",
        token=DANA_TOKEN,
        json={"description": "nightly", "ref": "main", "cron": "0 1 * * *"},
    )
    token = token_for(world, maya)
    config = {"schedules": {"nightly": {"cron": "0 3 * * *"}}}
    world.reset_counters()
    waiting = world.run([project(BILLING, pipeline_schedules=config)], token=token)
    assert world.writes() == 0 and problems(waiting) == []
    (change,) = [c for p in waiting.projects for c in p.planned]
    assert change.action.value == "awaiting" and "owned by dana" in change.after["note"]

    taken = {"schedules": {"nightly": {"cron": "0 3 * * *", "take_ownership": True}}}
    world.reset_counters()
    result = world.run([project(BILLING, pipeline_schedules=taken)], token=token)
    assert applied(result) == [("update", "schedule nightly")] and problems(result) == []
    counted = routes(world)
    assert counted["POST /api/v4/projects/:id/pipeline_schedules/:pipeline_schedule_id/take_ownership"] == 1
    assert world.get(f"/projects/{billing}/pipeline_schedules/{made['id']}")["owner"]["username"] == "maya"
    world.reset_counters()
    assert pending(world.run([project(BILLING, pipeline_schedules=taken)], token=token)) == []
    assert world.writes() == 0  # maya's now: never taken again


def test_prune_deletes_unnamed_schedules(world: World):
    converge(world, [spec()])
    result = converge(world, [spec(config={"schedules": {}, "prune": True})])
    assert applied(result) == [("delete", "schedule nightly")] and schedules_of(world) == []


def test_import_writes_schedules_without_values_and_a_plan_right_after_is_empty(world: World, tmp_path: Path):
    converge(world, [spec()])
    cli = Cli(world, tmp_path)
    text = cli.imported("platform")
    assert "nightly:" in text and re.search(r"TOKEN: \{value_unmanaged: true\} +# value not imported", text)
    assert TOKEN not in text
    cli.write(text)
    plan = cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
