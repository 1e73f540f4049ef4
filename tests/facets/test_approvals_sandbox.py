"""Approval settings and rules against the sandbox over HTTP: converge, drift, prune, the Community
Edition (no reads, a finding per project) and GitLab 17.0's name of the re-authentication setting."""

from __future__ import annotations

from provisioner.model import Action
from tests.facets.inventory_specs import specs_from
from tests.facets.sandbox_world import World, applied, converge, pending, problems

BILLING = "platform/billing"
INVENTORY = """\
version: 1
projects:
  platform/billing:
    approval_settings:
      reset_approvals_on_push: false
      merge_requests_author_approval: false
      merge_requests_disable_committers_approval: true
      require_reauthentication_to_approve: true
    approval_rules:
      rules:
        Security:
          approvals_required: 2
          users: [dana]
          groups: [platform]
          protected_branches: [main]
        Anyone: {approvals_required: 1}
"""


def rules(world: World) -> dict[str, dict]:
    return {r["name"]: r for r in world.get(f"/projects/{world.project_id(BILLING)}/approval_rules")}


def test_settings_and_rules_converge(world: World) -> None:
    result = converge(world, specs_from(world, INVENTORY))
    assert applied(result) == [
        ("update", "approval settings"),
        ("create", "approval rule Anyone"),
        ("create", "approval rule Security"),
    ]
    settings = world.get(f"/projects/{world.project_id(BILLING)}/approvals")
    assert (
        settings["reset_approvals_on_push"] is False
        and settings["require_reauthentication_to_approve"] is True
    )
    security = rules(world)["Security"]
    assert [u["username"] for u in security["users"]] == ["dana"]
    assert [g["full_path"] for g in security["groups"]] == ["platform"]
    assert [b["name"] for b in security["protected_branches"]] == ["main"]


def test_a_change_by_hand_is_drift_and_an_unnamed_rule_is_reported_then_pruned(world: World) -> None:
    specs = specs_from(world, INVENTORY)
    converge(world, specs)
    project = world.project_id(BILLING)
    security = rules(world)["Security"]
    world.request(
        "PUT", f"/projects/{project}/approval_rules/{security['id']}", json={"approvals_required": 5}
    )
    world.request(
        "POST", f"/projects/{project}/approval_rules", json={"name": "Extra", "approvals_required": 1}
    )
    check = world.run(specs, "check")
    found = {(c["action"], c["target"]) for c in pending(check)}
    assert ("update", "approval rule Security") in found
    notices = [c for p in check.projects for c in p.planned if c.action is Action.UNMANAGED]
    assert [c.target for c in notices] == ["approval rule Extra"]
    pruned = specs_from(world, INVENTORY.replace("      rules:\n", "      prune: true\n      rules:\n"))
    result = converge(world, pruned)
    assert ("delete", "approval rule Extra") in applied(result)
    assert sorted(rules(world)) == ["Anyone", "Security"]


def test_on_the_community_edition_each_project_needs_ee_and_nothing_is_read(world: World) -> None:
    world.set_version("18.6.0")  # no -ee: the Community Edition
    specs = specs_from(world, INVENTORY)
    world.reset_counters()
    plan = world.run(specs, "plan")
    assert problems(plan) == [] and pending(plan) == []
    findings = [(c.facet, c.action, c.after) for p in plan.projects for c in p.planned]
    assert findings == [
        (
            "approval_settings",
            Action.UNSUPPORTED,
            {"needs": "needs GitLab EE", "feature": "rest:GET /projects/:id/approval_rules"},
        ),
        (
            "approval_rules",
            Action.UNSUPPORTED,
            {"needs": "needs GitLab EE", "feature": "rest:GET /projects/:id/approval_rules"},
        ),
    ]
    routes = world.counters()["by_route"]
    assert routes and not any("approval" in key for key in routes), routes
    assert world.run(specs, "apply").projects[0].applied == ()


def test_gitlab_17_0_takes_the_old_name_of_reauthentication(world: World) -> None:
    world.set_version("17.0.0-ee")
    converge(world, specs_from(world, INVENTORY))
    settings = world.get(f"/projects/{world.project_id(BILLING)}/approvals")
    assert (
        settings["require_password_to_approve"] is True
        and "require_reauthentication_to_approve" not in settings
    )


def test_a_user_who_is_no_member_does_not_stick(world: World) -> None:
    text = INVENTORY.replace("users: [dana]", "users: [dana, rita]")  # rita is in data, not platform
    result = world.run(specs_from(world, text), "apply")
    assert any("did not stick" in message for message in problems(result)), problems(result)
