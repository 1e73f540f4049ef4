"""The pipeline schedules diff is pure: identity is the description; refs compare short; variable
values are compared in memory and never shown; a schedule someone else owns is never taken over
unless the inventory says so."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.errors import Unobservable
from provisioner.facets import inventory_sections
from provisioner.facets.pipeline_schedules import ObservedSchedules, diff_schedules
from provisioner.gitlab.pipeline_schedules import ScheduleRecord, ScheduleVariableRecord, short_ref
from provisioner.inventory.schema import project_model
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import SENSITIVE, Action
from provisioner.secrets import Secret

TOKEN = "sched-secret-value-8d2f"
ME, DANA = 1, 2


def spec(schedules: dict[str, Any], prune: bool = False) -> ProjectSpec:
    config = project_model(inventory_sections())(pipeline_schedules={"schedules": schedules, "prune": prune})
    return ProjectSpec("g/p", config, secrets={"env:T": Secret(TOKEN, "env:T")})


def record(owner: int = ME, **kw: Any) -> ScheduleRecord:
    fields = {
        "id": 5,
        "description": "nightly",
        "ref": "refs/heads/main",
        "cron": "0 3 * * *",
        "cron_timezone": "UTC",
        "active": True,
    }
    return ScheduleRecord(**{**fields, **kw}, owner_id=owner, owner="dana" if owner == DANA else "root")


def observed(
    *records: ScheduleRecord, variables: dict | None = None, admin: bool = False
) -> ObservedSchedules:
    return ObservedSchedules(records, variables or {}, "main", ME, admin)


def diff(schedules: dict[str, Any], seen: ObservedSchedules, prune: bool = False):
    s = spec(schedules, prune)
    return diff_schedules("pipeline_schedules", s, s.config.pipeline_schedules, seen)  # type: ignore[attr-defined]


NIGHTLY = {"cron": "0 3 * * *"}


@pytest.mark.parametrize(
    ("schedules", "seen", "actions"),
    [
        ({"nightly": NIGHTLY}, observed(), [Action.CREATE]),
        ({"nightly": NIGHTLY}, observed(record()), []),
        # GitLab stores refs/heads/main for main; the default branch is the ref when none is given
        ({"nightly": {**NIGHTLY, "ref": "main"}}, observed(record()), []),
        ({"nightly": {**NIGHTLY, "ref": "refs/tags/v1"}}, observed(record(ref="v1")), []),
        ({"nightly": {"cron": "0  3 * *  *"}}, observed(record()), []),  # whitespace aside
        ({"nightly": {**NIGHTLY, "active": False}}, observed(record()), [Action.UPDATE]),
        ({"nightly": {**NIGHTLY, "cron_timezone": "Europe/Berlin"}}, observed(record()), [Action.UPDATE]),
        ({}, observed(record()), [Action.UNMANAGED]),
    ],
)
def test_diff_table(schedules, seen, actions):
    assert [c.action for c in diff(schedules, seen)] == actions


def test_refs_compare_short():
    assert [short_ref(r) for r in ("refs/heads/main", "refs/tags/v1", "main")] == ["main", "v1", "main"]


def test_a_new_schedule_sends_its_variables_without_showing_a_value():
    (change,) = diff(
        {"nightly": {**NIGHTLY, "variables": {"TOKEN": {"secret": "env:T"}, "CHECK": "1"}}}, observed()
    )
    assert change.after["variables"] == {"CHECK": SENSITIVE, "TOKEN": SENSITIVE}
    assert change.payload.attributes["ref"] == "main"
    assert {(v.key, v.revealed()) for v, _ in change.payload.set_variables} == {
        ("CHECK", "1"),
        ("TOKEN", TOKEN),
    }
    assert TOKEN not in str(change.public())


def test_a_variable_value_changed_on_gitlab_is_drift_that_names_no_value():
    seen = observed(record(), variables={5: (ScheduleVariableRecord("TOKEN", "rotated-by-hand-0001"),)})
    (change,) = diff({"nightly": {**NIGHTLY, "variables": {"TOKEN": {"secret": "env:T"}}}}, seen)
    assert change.action is Action.UPDATE
    assert "rotated-by-hand" not in str(change.public()) and TOKEN not in str(change.public())
    assert [(v.key, exists) for v, exists in change.payload.set_variables] == [("TOKEN", True)]


def test_listed_variables_are_all_of_them_and_value_unmanaged_keeps_a_value():
    seen = observed(
        record(),
        variables={
            5: (ScheduleVariableRecord("KEEP", "whatever-it-is"), ScheduleVariableRecord("OLD", "x1"))
        },
    )
    (change,) = diff({"nightly": {**NIGHTLY, "variables": {"KEEP": {"value_unmanaged": True}}}}, seen)
    assert (change.payload.set_variables, change.payload.delete_variables) == ((), ("OLD",))
    assert (
        diff(
            {"nightly": {**NIGHTLY, "variables": {"KEEP": {"value_unmanaged": True}}}},
            observed(record(), variables={5: (ScheduleVariableRecord("KEEP", "y"),)}),
        )
        == []
    )


def test_someone_else_s_schedule_waits_for_its_owner_unless_taking_it_over_is_asked():
    theirs = observed(record(owner=DANA))
    (waiting,) = diff({"nightly": {**NIGHTLY, "active": False}}, theirs)
    assert waiting.action is Action.AWAITING and "owned by dana" in waiting.after["note"]
    assert not waiting.is_pending  # nothing is written
    (taken,) = diff({"nightly": {**NIGHTLY, "active": False, "take_ownership": True}}, theirs)
    assert taken.action is Action.UPDATE and taken.payload.take_ownership
    # an administrator may change any schedule (GitLab's policy): no ownership to take
    (admin,) = diff(
        {"nightly": {**NIGHTLY, "active": False, "take_ownership": True}},
        observed(record(owner=DANA), admin=True),
    )
    assert not admin.payload.take_ownership


def test_taking_over_is_never_done_for_a_schedule_that_complies():
    assert diff({"nightly": {**NIGHTLY, "take_ownership": True}}, observed(record(owner=DANA))) == []


def test_variables_the_token_may_not_read_are_unknown_not_empty():
    with pytest.raises(Unobservable, match="Maintainer or the schedule's owner"):
        diff({"nightly": {**NIGHTLY, "variables": {"A": "1"}}}, observed(record()))


def test_prune_deletes_and_a_second_schedule_with_the_same_description_is_not_the_managed_one():
    seen = observed(record(id=5), record(id=9))
    assert [
        (c.action, c.payload.schedule_id if c.payload else None)
        for c in diff({"nightly": NIGHTLY}, seen, prune=True)
    ] == [(Action.DELETE, 9)]
