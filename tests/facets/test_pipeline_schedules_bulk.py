"""The pipeline schedules facet on the bulk read (gitlab/graphql_schedules.py): a check that finds
everything in place reads no schedule over REST; drift seen in bulk is read again over REST before it
is reported, and no variable value shows in it."""

from __future__ import annotations

from tests.facets.onboarding import routes
from tests.facets.sandbox_world import World, pending
from tests.facets.test_pipeline_schedules_sandbox import TOKEN, schedules_of, spec

LIST = "GET /api/v4/projects/:id/pipeline_schedules"
DETAILS = "GET /api/v4/projects/:id/pipeline_schedules/:pipeline_schedule_id"


def _checked(world: World) -> tuple[list[dict], dict[str, int]]:
    world.reset_counters()
    result = world.run([spec()], "check")
    return pending(result), routes(world)


def _applied(world: World) -> int:
    assert pending(world.run([spec()], "apply")) != []
    (schedule,) = schedules_of(world)
    return int(schedule["id"])


def test_a_no_op_check_reads_no_schedule_over_rest(world: World):
    _applied(world)
    changes, seen = _checked(world)
    assert changes == []
    assert LIST not in seen and DETAILS not in seen, seen
    assert seen["POST /api/graphql"] >= 1
    world.reset_counters()
    assert pending(world.run([spec()], "check", prefetch=False)) == []
    assert (routes(world)[LIST], routes(world)[DETAILS]) == (1, 1)  # what the same check costs on REST


def test_a_schedule_changed_behind_the_tool_s_back_is_read_again_over_rest_and_reported(world: World):
    ident = _applied(world)
    pid = world.project_id("platform/billing")
    world.request("PUT", f"/projects/{pid}/pipeline_schedules/{ident}", json={"ref": "refs/tags/v9"})
    changes, seen = _checked(world)
    ((change,),) = [[c for c in changes if c["target"] == "schedule nightly"]]
    assert (change["before"]["ref"], change["after"]["ref"]) == ("v9", "main")
    assert seen[LIST] == 1  # confirmed over REST before it is reported


def test_a_variable_value_changed_behind_the_tool_s_back_is_drift_that_shows_no_value(world: World):
    ident = _applied(world)
    pid = world.project_id("platform/billing")
    world.request(
        "PUT", f"/projects/{pid}/pipeline_schedules/{ident}/variables/TOKEN", json={"value": "by-hand-4411"}
    )
    changes, seen = _checked(world)
    (change,) = changes
    assert change["after"]["variables"] == {"CHECK": "(sensitive)", "TOKEN": "(sensitive)"}
    assert "by-hand-4411" not in str(change) and TOKEN not in str(change)
    assert seen[DETAILS] == 1  # the variables, confirmed over REST


def test_the_oldest_supported_gitlab_answers_the_bulk_read(world: World):
    """Every field the read selects is in 17.0 (graphql_schedules.py): nothing gated, nothing over REST."""
    _applied(world)
    world.set_version("17.0")
    changes, seen = _checked(world)
    assert changes == [] and LIST not in seen and DETAILS not in seen, seen
