"""The shares facets against the sandbox over HTTP: a project's and a group's own shares, read from
their entities, replaced when the role changes, pruned, imported."""

from __future__ import annotations

from pathlib import Path

from tests.facets.onboarding import Cli, group, new_user, project, routes, token_for
from tests.facets.sandbox_world import World, applied, converge, pending, problems

BILLING = "platform/billing"


def shared(world: World, prefix: str) -> dict[str, int]:
    return {s["group_full_path"]: s["group_access_level"] for s in world.get(prefix)["shared_with_groups"]}


def test_a_project_shared_with_a_group_converges_and_a_new_role_replaces_the_share(world: World):
    converge(world, [project(BILLING, shares={"groups": {"data": "developer"}})])
    billing = world.project_id(BILLING)
    assert shared(world, f"/projects/{billing}") == {"data": 30}
    result = converge(
        world,
        [
            project(
                BILLING, shares={"groups": {"data": {"access_level": "reporter", "expires_at": "2099-06-30"}}}
            )
        ],
    )
    assert applied(result) == [("replace", "shared with data")]
    share = world.get(f"/projects/{billing}")["shared_with_groups"][0]
    assert (share["group_access_level"], share["expires_at"]) == (20, "2099-06-30")


def test_shares_cost_no_request_of_their_own_in_a_no_op_check(world: World):
    specs = [project(p, shares={"groups": {"data": "reporter"}}) for p in (BILLING, "platform/payments")]
    converge(world, specs)
    world.reset_counters()
    assert pending(world.run(specs, "check")) == []
    assert not [r for r in routes(world) if "share" in r or r.startswith("GET /api/v4/groups/:id ")]


def test_prune_unshares_groups_the_inventory_does_not_name(world: World):
    billing = world.project_id(BILLING)
    world.request(
        "POST",
        f"/projects/{billing}/share",
        json={"group_id": world.get("/groups/data")["id"], "group_access": 20},
    )
    assert [c["target"] for c in pending(world.run([project(BILLING, shares={})], "plan"))] == []
    result = converge(world, [project(BILLING, shares={"prune": True})])
    assert applied(result) == [("delete", "shared with data")]
    assert shared(world, f"/projects/{billing}") == {}


def test_a_group_shared_with_a_group(world: World):
    converge(world, [group("platform", group_shares={"groups": {"data": "reporter"}})])
    assert shared(world, "/groups/platform") == {"data": 20}


def test_a_group_share_is_not_touched_by_a_token_below_owner(world: World):
    """GitLab would answer 204 to the DELETE and keep the share [G:lib/api/groups.rb]: the facet declares
    Owner, so the group is skipped before anything is sent (issue 19, item 9), and the share stays."""
    converge(world, [group("platform", group_shares={"groups": {"data": "reporter"}})])
    maya = new_user(world, "maya")
    world.request("POST", "/groups/platform/members", json={"user_id": maya, "access_level": 40})
    world.request("POST", "/groups/data/members", json={"user_id": maya, "access_level": 10})
    result = world.run([group("platform", group_shares={"prune": True})], token=token_for(world, maya))
    assert any("skipped, nothing written" in p and "Owner" in p for p in problems(result)), problems(result)
    assert shared(world, "/groups/platform") == {"data": 20}


def test_a_group_the_token_cannot_see_is_named_in_the_problem(world: World):
    result = world.run([project(BILLING, shares={"groups": {"nowhere/team": "guest"}})], "plan")
    assert any("nowhere/team" in p for p in problems(result)), problems(result)


def test_import_writes_shares_and_a_plan_right_after_is_empty(world: World, tmp_path: Path):
    converge(world, [project(BILLING, shares={"groups": {"data": "developer"}})])
    converge(
        world,
        [
            group(
                "platform",
                group_shares={"groups": {"data": {"access_level": "guest", "expires_at": "2099-01-01"}}},
            )
        ],
    )
    cli = Cli(world, tmp_path)
    text = cli.imported("platform")
    assert "groups: {data: developer}" in text and "group_shares:" in text
    cli.write(text)
    plan = cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
