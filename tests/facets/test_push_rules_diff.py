"""The push rule's diff, pure, and how GitLab's answer is read (null, "" and false alike)."""

from __future__ import annotations

import pytest

from provisioner.facets.push_rules import describe_push_rule, diff_push_rule
from provisioner.gitlab.push_rules import PushRuleRecord, to_record
from provisioner.inventory.sections.push_rules import PushRules
from provisioner.model import Action


def test_no_rule_yet_is_one_create_of_the_named_keys() -> None:
    [change] = diff_push_rule("push_rules", PushRules(deny_delete_tag=True, max_file_size=10), None)
    assert (change.action, change.after) == (Action.CREATE, {"deny_delete_tag": True, "max_file_size": 10})


@pytest.mark.parametrize(
    ("want", "have", "expected"),
    [
        ({"commit_message_regex": ""}, {}, None),  # "" and never set are the same
        ({"reject_unsigned_commits": False}, {}, None),  # null reads as false
        ({"max_file_size": 0}, {"max_file_size": 5}, ({"max_file_size": 5}, {"max_file_size": 0})),
        (
            {"member_check": True},
            {"deny_delete_tag": True},
            ({"member_check": False}, {"member_check": True}),
        ),
    ],
)
def test_update_names_only_what_differs(want: dict, have: dict, expected: tuple | None) -> None:
    changes = diff_push_rule("push_rules", PushRules(**want), PushRuleRecord(**have))
    assert [(c.before, c.after) for c in changes] == ([] if expected is None else [expected])


def test_gitlab_answer_is_normalised() -> None:
    entity = {
        "id": 1,
        "commit_message_regex": None,
        "branch_name_regex": "",
        "commit_committer_check": None,
        "reject_unsigned_commits": None,
        "max_file_size": 0,
        "deny_delete_tag": True,
    }
    assert to_record(entity) == PushRuleRecord(deny_delete_tag=True)


def test_regexes_are_checked_offline() -> None:
    with pytest.raises(ValueError, match="lookahead"):
        PushRules(branch_name_regex="^(?!wip/).*")
    with pytest.raises(ValueError, match="at most 511"):
        PushRules(file_name_regex="a" * 512)
    assert PushRules(commit_message_negative_regex="a" * 2047).commit_message_negative_regex


def test_import_leaves_out_a_regex_the_check_refuses() -> None:
    described = describe_push_rule(
        "push_rules", PushRuleRecord(branch_name_regex="^(?!wip)", deny_delete_tag=True)
    )
    assert (
        "branch_name_regex" not in described.entry["push_rules"]
        and described.entry["push_rules"]["deny_delete_tag"]
    )
    assert described.notes and "lookahead" in described.notes[0]
