"""A project's push rule (Premium) [G:ee/lib/api/project_push_rule.rb, doc/api/project_push_rules.md,
ee/app/models/push_rule.rb, ee/app/models/concerns/push_ruleable.rb]."""

from __future__ import annotations

from tests.support import Sandbox

RULE = "/projects/platform%2Fbilling/push_rule"


def test_never_configured_reads_the_literal_null(sandbox: Sandbox) -> None:
    answer = sandbox.api.get(RULE)
    assert answer.status_code == 200 and answer.content == b"null"


def test_create_once_then_update_then_delete(sandbox: Sandbox) -> None:
    created = sandbox.api.post(RULE, json={"commit_message_regex": "^JIRA-\\d+", "deny_delete_tag": True})
    assert created.status_code == 201, created.text
    assert created.json()["commit_message_regex"] == "^JIRA-\\d+" and created.json()["max_file_size"] == 0
    exists = sandbox.api.post(RULE, json={"deny_delete_tag": True})
    assert (exists.status_code, exists.json()) == (422, {"message": "Project push rule exists"})
    updated = sandbox.api.put(RULE, json={"max_file_size": 50, "reject_unsigned_commits": True})
    assert updated.json()["max_file_size"] == 50 and updated.json()["reject_unsigned_commits"] is True
    assert sandbox.api.put(RULE, json={}).status_code == 400  # at_least_one_of
    assert sandbox.api.delete(RULE).status_code == 204
    assert sandbox.api.put(RULE, json={"deny_delete_tag": True}).status_code == 404


def test_settings_with_a_global_default_read_back_null_when_off(sandbox: Sandbox) -> None:
    """write_setting_with_global_default: false is stored as nil while no global rule enables it."""
    body = sandbox.api.post(
        RULE, json={"commit_committer_check": False, "reject_unsigned_commits": False}
    ).json()
    assert body["commit_committer_check"] is None and body["reject_unsigned_commits"] is None


def test_regexes_must_be_re2_and_short_enough(sandbox: Sandbox) -> None:
    lookahead = sandbox.api.post(RULE, json={"branch_name_regex": "^(?!main)"})
    assert lookahead.status_code == 400
    assert lookahead.json()["message"]["branch_name_regex"][0].startswith("not valid RE2 syntax")
    unbalanced = sandbox.api.post(RULE, json={"file_name_regex": "(jar|exe"})
    assert unbalanced.status_code == 400
    too_long = sandbox.api.post(RULE, json={"author_email_regex": "a" * 512})
    assert too_long.json()["message"]["author_email_regex"] == ["is too long (maximum is 511 characters)"]


def test_the_community_edition_has_no_push_rules(sandbox: Sandbox) -> None:
    sandbox.serve_version("17.4", "ce")
    assert sandbox.api.get(RULE).status_code == 404
