"""Merge request approval settings and project approval rules (Premium): EE only, as GitLab serves
them [G:ee/lib/api/project_approvals.rb, ee/lib/api/project_approval_rules.rb,
ee/lib/api/helpers/project_approval_rules_helpers.rb, doc/api/merge_request_approvals.md]."""

from __future__ import annotations

from tests.support import Sandbox

BILLING = "/projects/platform%2Fbilling"


def test_the_community_edition_has_no_approval_routes(sandbox: Sandbox) -> None:
    """Grape's answer to an unknown route: 404 {"error": "404 Not Found"}."""
    sandbox.serve_version("18.6", "ce")
    for method, path in (("GET", "/approvals"), ("GET", "/approval_rules"), ("POST", "/approval_rules")):
        answer = sandbox.api.request(method, BILLING + path, json={"name": "x", "approvals_required": 1})
        assert (answer.status_code, answer.json()) == (404, {"error": "404 Not Found"}), (method, path)


def test_settings_read_and_change_with_both_reauthentication_names(sandbox: Sandbox) -> None:
    """Entities::ApprovalSettings exposes predicates; 17.1 added require_reauthentication_to_approve,
    the same setting as the deprecated require_password_to_approve."""
    before = sandbox.api.get(f"{BILLING}/approvals").json()
    assert before["reset_approvals_on_push"] is True and before["merge_requests_author_approval"] is False
    changed = sandbox.api.post(
        f"{BILLING}/approvals",
        json={"merge_requests_author_approval": True, "require_reauthentication_to_approve": True},
    )
    assert changed.status_code == 201
    body = changed.json()
    assert body["merge_requests_author_approval"] is True
    assert body["require_reauthentication_to_approve"] is True and body["require_password_to_approve"] is True
    assert sandbox.api.post(f"{BILLING}/approvals", json={}).status_code == 400  # at_least_one_of


def test_before_17_1_the_new_name_is_unknown(sandbox: Sandbox) -> None:
    sandbox.serve_version("17.0", "ee")
    body = sandbox.api.get(f"{BILLING}/approvals").json()
    assert "require_reauthentication_to_approve" not in body
    dropped = sandbox.api.post(
        f"{BILLING}/approvals",
        json={"require_reauthentication_to_approve": True, "reset_approvals_on_push": False},
    )
    assert dropped.status_code == 201 and dropped.json()["require_password_to_approve"] is False


def test_a_rule_with_users_groups_and_branches(sandbox: Sandbox) -> None:
    dana = sandbox.api.get("/users", params={"username": "dana"}).json()[0]
    platform = sandbox.api.get("/groups/platform").json()
    main = sandbox.api.get(f"{BILLING}/protected_branches/main").json()
    created = sandbox.api.post(
        f"{BILLING}/approval_rules",
        json={
            "name": "Security",
            "approvals_required": 2,
            "usernames": ["dana", "rita"],  # rita is no member of platform: left out without a word
            "group_ids": [platform["id"]],
            "protected_branch_ids": [main["id"]],
        },
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert [u["username"] for u in rule["users"]] == ["dana"]
    assert [g["full_path"] for g in rule["groups"]] == ["platform"]
    assert [b["name"] for b in rule["protected_branches"]] == ["main"]
    assert dana["id"] in [u["id"] for u in rule["eligible_approvers"]]
    again = sandbox.api.post(f"{BILLING}/approval_rules", json={"name": "Security", "approvals_required": 1})
    assert (again.status_code, again.json()) == (400, {"message": {"name": ["has already been taken"]}})
    too_many = sandbox.api.post(f"{BILLING}/approval_rules", json={"name": "x", "approvals_required": 101})
    assert too_many.status_code == 400 and "approvals_required" in too_many.json()["message"]


def test_update_turns_all_protected_branches_off_unless_sent(sandbox: Sandbox) -> None:
    """`applies_to_all_protected_branches` has `default: false` in the update params too."""
    rule = sandbox.api.post(
        f"{BILLING}/approval_rules",
        json={"name": "All", "approvals_required": 1, "applies_to_all_protected_branches": True},
    ).json()
    assert rule["applies_to_all_protected_branches"] is True and rule["protected_branches"]
    updated = sandbox.api.put(f"{BILLING}/approval_rules/{rule['id']}", json={"approvals_required": 2}).json()
    assert updated["applies_to_all_protected_branches"] is False and updated["protected_branches"] == []
    assert sandbox.api.delete(f"{BILLING}/approval_rules/{rule['id']}").status_code == 204
    assert sandbox.api.get(f"{BILLING}/approval_rules/{rule['id']}").status_code == 404


def test_a_developer_reads_rules_but_cannot_write_them(sandbox: Sandbox, dana) -> None:
    assert dana.get(f"{BILLING}/approval_rules").status_code == 200
    denied = dana.post(f"{BILLING}/approval_rules", json={"name": "x", "approvals_required": 1})
    assert denied.status_code == 403
