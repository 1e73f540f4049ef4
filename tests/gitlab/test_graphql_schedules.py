"""What the pipeline schedules bulk read caches, and what it leaves to REST (gitlab/graphql_schedules.py)."""

from __future__ import annotations

from typing import Any

from provisioner.gitlab.cache import MISSING, RunCache
from provisioner.gitlab.graphql_reads import Wanted
from provisioner.gitlab.graphql_schedules import SCHEDULES_READ
from provisioner.gitlab.pipeline_schedules import ScheduleRecord, ScheduleVariableRecord, short_ref

PID = 7


def schedule(ident: int, **changes: Any) -> dict[str, Any]:
    node = {
        "id": f"gid://gitlab/Ci::PipelineSchedule/{ident}",
        "description": f"s{ident}",
        "refForDisplay": "main",
        "cron": "0 3 * * *",
        "cronTimezone": "UTC",
        "active": True,
        "owner": {"id": "gid://gitlab/User/5", "username": "bot"},
        "variables": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [{"key": "K", "value": "v", "variableType": "FILE"}],
        },
    }
    return node | changes


def stored(*nodes: dict[str, Any], count: int | None = None, more: bool = False) -> RunCache:
    cache = RunCache()
    listed = {
        "count": len(nodes) if count is None else count,
        "pageInfo": {"hasNextPage": more},
        "nodes": list(nodes),
    }
    SCHEDULES_READ.store(cache, PID, {"pipelineSchedules": listed}, Wanted("g/p"))
    return cache


def test_schedules_and_their_variables_are_cached_as_rest_shows_them():
    cache = stored(schedule(2), schedule(1, refForDisplay="v1", active=False))
    assert cache.get(PID, "pipeline_schedules") == (
        ScheduleRecord(2, "s2", "main", "0 3 * * *", "UTC", True, 5, "bot"),
        ScheduleRecord(1, "s1", "v1", "0 3 * * *", "UTC", False, 5, "bot"),
    )
    assert cache.get(PID, "pipeline_schedules/1/variables") == (ScheduleVariableRecord("K", "v", "file"),)
    # REST shows the stored ref (refs/heads/main): every reader compares it through short_ref
    assert short_ref("refs/heads/main") == short_ref("main") and short_ref("refs/tags/v1") == "v1"


def test_variables_the_token_may_not_read_are_left_to_rest():
    cache = stored(schedule(1, variables=None), schedule(2))
    assert len(cache.get(PID, "pipeline_schedules")) == 2
    assert cache.get(PID, "pipeline_schedules/1/variables") is MISSING
    assert cache.get(PID, "pipeline_schedules/2/variables") is not MISSING


def test_a_variable_list_longer_than_a_page_is_left_to_rest():
    more = {
        "pageInfo": {"hasNextPage": True},
        "nodes": [{"key": "K", "value": "v", "variableType": "ENV_VAR"}],
    }
    assert stored(schedule(1, variables=more)).get(PID, "pipeline_schedules/1/variables") is MISSING


def test_what_graphql_cannot_show_whole_caches_nothing():
    """A second page, nodes hidden from the token (fewer than counted), a schedule without an owner
    GraphQL shows (REST names it), or no field at all."""
    for cache in (
        stored(schedule(1), more=True),
        stored(schedule(1), count=2),
        stored(schedule(1, owner=None)),
    ):
        assert cache.get(PID, "pipeline_schedules") is MISSING
        assert cache.get(PID, "pipeline_schedules/1/variables") is MISSING
    empty = RunCache()
    SCHEDULES_READ.store(empty, PID, {"pipelineSchedules": None}, Wanted("g/p"))
    assert empty.get(PID, "pipeline_schedules") is MISSING
