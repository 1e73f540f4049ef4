"""The push rule against the sandbox over HTTP: created once, then updated in place; the settings that
read back null for false converge; the Community Edition gets a finding per project."""

from __future__ import annotations

from provisioner.model import Action
from tests.facets.inventory_specs import specs_from
from tests.facets.sandbox_world import World, applied, converge, pending, problems

INVENTORY = """\
version: 1
defaults:
  push_rules:
    commit_message_regex: '^(feat|fix|chore)(\\(.+\\))?: '
    branch_name_regex: '^(main|(feat|fix)/[a-z0-9-]+)$'
    deny_delete_tag: true
    prevent_secrets: true
    max_file_size: 50
    commit_committer_check: false
    reject_unsigned_commits: false
projects:
  platform/billing: {}
  platform/payments: {}
"""


def test_created_then_updated_in_place(world: World) -> None:
    result = converge(world, specs_from(world, INVENTORY))
    assert applied(result) == [("create", "push rule"), ("create", "push rule")]
    rule = world.get(f"/projects/{world.project_id('platform/billing')}/push_rule")
    assert rule["max_file_size"] == 50 and rule["commit_committer_check"] is None  # false reads back null
    first_id = rule["id"]
    result = converge(world, specs_from(world, INVENTORY.replace("max_file_size: 50", "max_file_size: 100")))
    assert applied(result) == [("update", "push rule"), ("update", "push rule")]
    rule = world.get(f"/projects/{world.project_id('platform/billing')}/push_rule")
    assert (rule["id"], rule["max_file_size"]) == (first_id, 100)


def test_a_change_by_hand_is_drift(world: World) -> None:
    specs = specs_from(world, INVENTORY)
    converge(world, specs)
    world.request(
        "PUT", f"/projects/{world.project_id('platform/payments')}/push_rule", json={"deny_delete_tag": False}
    )
    drift = pending(world.run(specs, "check"))
    assert [(c["target"], c["before"], c["after"]) for c in drift] == [
        ("push rule", {"deny_delete_tag": False}, {"deny_delete_tag": True})
    ]


def test_the_community_edition_needs_ee(world: World) -> None:
    world.set_version("17.4.0")
    plan = world.run(specs_from(world, INVENTORY), "plan")
    assert problems(plan) == [] and pending(plan) == []
    assert [c.action for p in plan.projects for c in p.planned] == [Action.UNSUPPORTED, Action.UNSUPPORTED]
