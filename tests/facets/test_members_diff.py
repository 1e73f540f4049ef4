"""The members diff is pure: tables of (inventory, what GitLab has) -> changes, with the two removals
the tool never makes (the token's own user, a group's last Owner) and the Planner role's version."""

from __future__ import annotations

from datetime import date

import pytest

from provisioner.facets.members import LAST_OWNER, SELF, ObservedMembers, UnknownUser, diff_members
from provisioner.gitlab.members import MemberRecord
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.members import Members
from provisioner.model import Action

TODAY = date(2026, 6, 1)
NEW = Version.parse("18.6.0-ee")
TOKEN_USER = 1


def member(user_id: int, username: str, level: int, expires: date | None = None) -> MemberRecord:
    return MemberRecord(user_id, username, level, expires)


def observed(*members: MemberRecord, above: frozenset[int] | None = None, **kw: object) -> ObservedMembers:
    ids = {"bob": 7, "carol": 8, **kw.pop("ids", {})}  # type: ignore[dict-item]
    return ObservedMembers(
        members=members,
        server=kw.pop("server", NEW),  # type: ignore[arg-type]
        today=TODAY,
        token_user_id=TOKEN_USER,
        user_ids=ids,
        owners_above=above,
    )


def plan(users: dict, seen: ObservedMembers, prune: bool = False) -> list[tuple[str, str]]:
    config = Members(users=users, prune=prune)
    return [(c.action.value, c.target) for c in diff_members("members", config, seen)]


@pytest.mark.parametrize(
    ("users", "seen", "expected"),
    [
        ({"bob": "developer"}, observed(), [("create", "member bob")]),
        ({"bob": "developer"}, observed(member(7, "bob", 30)), []),
        ({"Bob": "developer"}, observed(member(7, "bob", 30)), []),  # GitLab ignores case
        ({"bob": "maintainer"}, observed(member(7, "bob", 30)), [("update", "member bob")]),
        (
            {"bob": {"access_level": "developer", "expires_at": "2027-01-31"}},
            observed(member(7, "bob", 30)),
            [("update", "member bob")],
        ),
        ({}, observed(member(7, "bob", 30)), [("unmanaged", "member bob")]),
        (
            {"bob": "developer"},
            observed(member(8, "carol", 20)),
            [("create", "member bob"), ("unmanaged", "member carol")],
        ),
    ],
)
def test_diff_table(users, seen, expected):
    assert plan(users, seen) == expected


def test_a_change_shows_roles_by_name_and_carries_the_ids_apply_needs():
    (change,) = diff_members("members", Members(users={"bob": "maintainer"}), observed(member(7, "bob", 30)))
    assert (change.before, change.after) == (
        {"access_level": "developer", "expires_at": None},
        {"access_level": "maintainer", "expires_at": None},
    )
    assert (change.payload.user_id, change.payload.level) == (7, 40)


def test_prune_removes_members_the_inventory_does_not_name():
    assert plan({}, observed(member(7, "bob", 30)), prune=True) == [("delete", "member bob")]


def test_the_token_s_own_user_is_never_removed_nor_lowered():
    me = member(TOKEN_USER, "root-bot", 40)
    pruned = diff_members("members", Members(prune=True), observed(me))
    lowered = diff_members("members", Members(users={"root-bot": "developer"}), observed(me))
    expiring = diff_members(
        "members",
        Members(users={"root-bot": {"access_level": "maintainer", "expires_at": "2027-01-01"}}),
        observed(me),
    )
    for changes in (pruned, lowered, expiring):
        assert [(c.action, c.after) for c in changes] == [(Action.UNMANAGED, {"note": SELF})]
    raised = diff_members("members", Members(users={"root-bot": "owner"}), observed(me))
    assert [c.action for c in raised] == [Action.UPDATE]  # more rights for itself is not a risk


def test_a_group_keeps_its_last_owner_and_says_why():
    owners = observed(member(5, "olga", 50), member(6, "oscar", 50), above=frozenset())
    changes = diff_members("group_members", Members(prune=True), owners)
    # Both would go; the first stays (a finding), the other is removed.
    assert [(c.action, c.target) for c in changes] == [
        (Action.UNMANAGED, "member olga"),
        (Action.DELETE, "member oscar"),
    ]
    assert changes[0].after == {"note": LAST_OWNER}
    demoted = diff_members(
        "group_members",
        Members(users={"olga": "developer"}),
        observed(member(5, "olga", 50), above=frozenset()),
    )
    assert [(c.action, c.after) for c in demoted] == [(Action.UNMANAGED, {"note": LAST_OWNER})]


def test_an_owner_above_or_another_owner_kept_lets_an_owner_go():
    above = observed(member(5, "olga", 50), above=frozenset({9}))
    assert [c.action for c in diff_members("group_members", Members(prune=True), above)] == [Action.DELETE]
    other = observed(member(5, "olga", 50), member(6, "oscar", 50), above=frozenset())
    kept = diff_members("group_members", Members(users={"oscar": "owner"}, prune=True), other)
    assert [c.action for c in kept] == [Action.DELETE]


def test_a_project_has_no_last_owner_rule():
    """Projects belong to their namespace: GitLab knows no last Owner of a project."""
    changes = diff_members("members", Members(prune=True), observed(member(5, "olga", 50)))
    assert [c.action for c in changes] == [Action.DELETE]


def test_an_unknown_user_stops_the_facet_with_its_name():
    with pytest.raises(UnknownUser, match="nobody"):
        diff_members("members", Members(users={"nobody": "guest"}), observed(ids={"nobody": None}))


def test_planner_needs_gitlab_17_7():
    old = observed(server=Version.parse("17.4.0"))
    (finding,) = diff_members("members", Members(users={"bob": "planner"}), old)
    assert (finding.action, finding.after) == (
        Action.UNSUPPORTED,
        {"needs": "needs GitLab 17.7", "feature": "rest:Member.access_level=planner"},
    )
    (created,) = diff_members(
        "members", Members(users={"bob": "planner"}), observed(server=Version.parse("17.10.0"))
    )
    assert created.action is Action.CREATE and created.payload.level == 15


def test_an_expiry_already_past_is_not_given():
    changes = diff_members(
        "members", Members(users={"bob": {"access_level": "guest", "expires_at": "2026-05-31"}}), observed()
    )
    assert [(c.action, c.target) for c in changes] == [(Action.UNMANAGED, "member bob")]
    assert "GitLab refuses a date in the past" in changes[0].after["note"]
