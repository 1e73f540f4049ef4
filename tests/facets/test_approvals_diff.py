"""The approvals facets' diffs, pure: tables of what GitLab has against what the inventory says."""

from __future__ import annotations

import pytest

from provisioner.facets.approvals import diff_rules, diff_settings
from provisioner.gitlab.approvals import ApprovalRuleRecord, to_rule, to_settings
from provisioner.inventory.sections.approvals import ApprovalRule, ApprovalRules, ApprovalSettings
from provisioner.model import Action


def record(name: str, rule_type: str = "regular", **fields: object) -> ApprovalRuleRecord:
    values = {
        "approvals_required": 1,
        "users": frozenset(),
        "groups": frozenset(),
        "protected_branches": frozenset(),
        "applies_to_all_protected_branches": False,
    } | fields
    return ApprovalRuleRecord(id=len(name), name=name, rule_type=rule_type, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("want", "have", "expected"),
    [
        ({"reset_approvals_on_push": False}, {"reset_approvals_on_push": False}, []),
        (
            {"reset_approvals_on_push": False, "merge_requests_author_approval": True},
            {"reset_approvals_on_push": True, "merge_requests_author_approval": True},
            [({"reset_approvals_on_push": True}, {"reset_approvals_on_push": False})],
        ),
        ({}, {"reset_approvals_on_push": True}, []),  # nothing named, nothing managed
        (
            {"require_reauthentication_to_approve": True},
            {},  # GitLab did not say: differs (and apply says what did not stick)
            [({"require_reauthentication_to_approve": None}, {"require_reauthentication_to_approve": True})],
        ),
    ],
)
def test_settings(want: dict, have: dict, expected: list) -> None:
    changes = diff_settings("approval_settings", ApprovalSettings(**want), have)
    assert [(c.before, c.after) for c in changes] == expected


def test_settings_read_back_under_either_name() -> None:
    assert to_settings({"require_password_to_approve": True}) == {"require_reauthentication_to_approve": True}
    both = {"require_password_to_approve": False, "require_reauthentication_to_approve": True}
    assert to_settings(both) == {"require_reauthentication_to_approve": True}


def test_rules_compare_sets_and_report_the_others() -> None:
    config = ApprovalRules(
        rules={
            "Security": ApprovalRule(approvals_required=2, users=["b", "a"], groups=["sec"]),
            "New": ApprovalRule(approvals_required=1, applies_to_all_protected_branches=True),
        }
    )
    observed = [
        record("Security", approvals_required=2, users=frozenset({"a", "b"}), groups=frozenset({"sec"})),
        record("Old"),
        record("Coverage-Check", rule_type="report_approver"),
    ]
    changes = diff_rules("approval_rules", config, observed)
    assert [(c.action, c.target) for c in changes] == [
        (Action.CREATE, "approval rule New"),
        (Action.UNMANAGED, "approval rule Coverage-Check"),
        (Action.UNMANAGED, "approval rule Old"),
    ]
    pruned = diff_rules("approval_rules", config.model_copy(update={"prune": True}), observed)
    # A report approver rule is not a person's to delete: pruning leaves it reported.
    assert [(c.action, c.target) for c in pruned][1:] == [
        (Action.UNMANAGED, "approval rule Coverage-Check"),
        (Action.DELETE, "approval rule Old"),
    ]


def test_a_rule_update_shows_only_what_differs() -> None:
    config = ApprovalRules(rules={"R": ApprovalRule(approvals_required=3, protected_branches=["main"])})
    [change] = diff_rules("approval_rules", config, [record("R", approvals_required=3)])
    assert (change.action, change.before, change.after) == (
        Action.UPDATE,
        {"protected_branches": []},
        {"protected_branches": ["main"]},
    )


def test_all_protected_branches_reads_back_as_the_flag_alone() -> None:
    """GitLab lists every protected branch for such a rule; comparing them would drift forever."""
    entity = {
        "id": 1,
        "name": "R",
        "approvals_required": 1,
        "applies_to_all_protected_branches": True,
        "protected_branches": [{"name": "main"}, {"name": "release"}],
    }
    assert to_rule(entity).protected_branches == frozenset()


def test_a_rule_cannot_name_branches_and_all_of_them() -> None:
    with pytest.raises(ValueError, match="not both"):
        ApprovalRule(
            approvals_required=1, protected_branches=["main"], applies_to_all_protected_branches=True
        )
    with pytest.raises(ValueError):
        ApprovalRule(approvals_required=101)


def test_usernames_and_group_paths_compare_without_case() -> None:
    config = ApprovalRules(
        rules={"R": ApprovalRule(approvals_required=1, users=["Dana"], groups=["Platform/Sec"])}
    )
    observed = [record("R", users=frozenset({"dana"}), groups=frozenset({"platform/sec"}))]
    assert diff_rules("approval_rules", config, observed) == []
