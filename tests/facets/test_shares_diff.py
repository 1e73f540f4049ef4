"""The shares diff is pure: identity is the shared-with group's path; a new role replaces the share."""

from __future__ import annotations

from datetime import date

import pytest

from provisioner.facets.shares import ObservedShares, UnknownGroup, diff_shares
from provisioner.gitlab.shares import ShareRecord, shares_of
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.shares import Shares
from provisioner.model import Action

TODAY = date(2026, 6, 1)


def share(group_id: int, path: str, level: int, expires: date | None = None) -> ShareRecord:
    return ShareRecord(group_id, path, level, expires)


def observed(*shares: ShareRecord, version: str = "18.6.0-ee") -> ObservedShares:
    return ObservedShares(shares, Version.parse(version), TODAY, {"platform/devs": 11, "data": 12})


def plan(groups: dict, seen: ObservedShares, prune: bool = False) -> list[tuple[str, str]]:
    return [
        (c.action.value, c.target) for c in diff_shares("shares", Shares(groups=groups, prune=prune), seen)
    ]


@pytest.mark.parametrize(
    ("groups", "seen", "expected"),
    [
        ({"platform/devs": "developer"}, observed(), [("create", "shared with platform/devs")]),
        ({"platform/devs": "developer"}, observed(share(11, "platform/devs", 30)), []),
        ({"Platform/Devs": "developer"}, observed(share(11, "platform/devs", 30)), []),
        # GitLab has no route that changes a share: remove it and share again
        (
            {"platform/devs": "reporter"},
            observed(share(11, "platform/devs", 30)),
            [("replace", "shared with platform/devs")],
        ),
        ({}, observed(share(12, "data", 20)), [("unmanaged", "shared with data")]),
    ],
)
def test_diff_table(groups, seen, expected):
    assert plan(groups, seen) == expected


def test_prune_removes_unnamed_shares():
    (change,) = diff_shares("shares", Shares(prune=True), observed(share(12, "data", 20)))
    assert change.action is Action.DELETE and change.payload.old.group_id == 12


def test_a_replacement_removes_the_old_share_then_shares_with_the_new_role():
    (change,) = diff_shares(
        "shares",
        Shares(groups={"data": {"access_level": "maintainer", "expires_at": "2027-02-01"}}),
        observed(share(12, "data", 20)),
    )
    assert (change.payload.old.group_id, change.payload.group_id, change.payload.level) == (12, 12, 40)
    assert change.after == {"access_level": "maintainer", "expires_at": "2027-02-01"}


def test_an_unknown_group_stops_the_facet_with_its_path():
    with pytest.raises(UnknownGroup, match="nowhere/team"):
        diff_shares("shares", Shares(groups={"nowhere/team": "guest"}), observed())


def test_planner_shares_need_gitlab_17_7():
    (finding,) = diff_shares("shares", Shares(groups={"data": "planner"}), observed(version="17.4.0"))
    assert finding.action is Action.UNSUPPORTED and finding.after["needs"] == "needs GitLab 17.7"


def test_shares_are_read_from_the_entity_and_a_missing_list_is_unknown():
    entity = {
        "shared_with_groups": [
            {"group_id": 12, "group_full_path": "data", "group_access_level": 20, "expires_at": "2027-01-31"}
        ]
    }
    assert shares_of(entity) == (share(12, "data", 20, date(2027, 1, 31)),)
    with pytest.raises(Exception, match="shared_with_groups"):
        shares_of({"id": 1})
