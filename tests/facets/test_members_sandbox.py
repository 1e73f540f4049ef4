"""The members facets against the sandbox over HTTP: converge, zero writes the second time, drift
found by check, import reproducing it, the bulk read, and the removals the tool never makes."""

from __future__ import annotations

from pathlib import Path

from tests.facets.onboarding import Cli, group, new_user, project, routes, token_for
from tests.facets.sandbox_world import World, applied, converge, pending

BILLING = "platform/billing"


def members_of(world: World, prefix: str) -> dict[str, int]:
    return {m["username"]: m["access_level"] for m in world.get(f"{prefix}/members")}


def test_project_members_converge_and_a_second_apply_writes_nothing(world: World):
    new_user(world, "erin")
    wanted = {
        "users": {"rita": "reporter", "erin": {"access_level": "maintainer", "expires_at": "2099-12-31"}}
    }
    result = converge(world, [project(BILLING, members=wanted)])
    assert sorted(applied(result)) == [("create", "member erin"), ("create", "member rita")]
    billing = world.project_id(BILLING)
    assert members_of(world, f"/projects/{billing}") == {"erin": 40, "rita": 20}
    erin = next(m for m in world.get(f"/projects/{billing}/members") if m["username"] == "erin")
    assert erin["expires_at"] == "2099-12-31"


def test_a_change_behind_the_tool_s_back_is_drift_and_an_unnamed_member_is_unmanaged(world: World):
    specs = [project(BILLING, members={"users": {"rita": "reporter"}})]
    converge(world, specs)
    billing = world.project_id(BILLING)
    world.request("PUT", f"/projects/{billing}/members/3", json={"access_level": 30})  # rita, by hand
    erin = new_user(world, "erin")
    world.request("POST", f"/projects/{billing}/members", json={"user_id": erin, "access_level": 10})
    check = world.run(specs, "check")
    assert [(c["action"], c["target"]) for c in pending(check)] == [("update", "member rita")]
    found = [(c.action.value, c.target) for p in check.projects for c in p.planned]
    assert ("unmanaged", "member erin") in found


def test_prune_removes_unnamed_members_but_never_the_token_s_own_user(world: World):
    billing = world.project_id(BILLING)
    maya = new_user(world, "maya")
    world.request("POST", f"/projects/{billing}/members", json={"user_id": maya, "access_level": 40})
    extra = new_user(world, "extra")
    world.request("POST", f"/projects/{billing}/members", json={"user_id": extra, "access_level": 10})
    specs = [project(BILLING, members={"users": {}, "prune": True})]
    result = world.run(specs, "apply", token=token_for(world, maya))  # maya, a Maintainer, runs the tool
    assert applied(result) == [("delete", "member extra")]
    kept = [c for p in result.projects for c in p.planned if c.target == "member maya"]
    assert kept[0].action.value == "unmanaged" and "token's own user" in kept[0].after["note"]
    assert members_of(world, f"/projects/{billing}") == {"maya": 40}


def test_a_group_s_own_members_and_its_last_owner(world: World):
    olga = new_user(world, "olga")
    world.request("POST", "/groups/platform%2Flibs/members", json={"user_id": olga, "access_level": 50})
    converge(world, [group("platform/libs", group_members={"users": {"rita": "guest"}})])
    assert members_of(world, "/groups/platform%2Flibs") == {"olga": 50, "rita": 10}
    # Pruning would leave the group without an Owner (none above it either): olga stays, as a finding.
    pruned = world.run([group("platform/libs", group_members={"users": {"rita": "guest"}, "prune": True})])
    notes = [c.after for p in pruned.projects for c in p.planned if c.target == "member olga"]
    assert notes and "last Owner" in notes[0]["note"]
    assert members_of(world, "/groups/platform%2Flibs") == {"olga": 50, "rita": 10}


def test_a_no_op_check_reads_members_in_bulk(world: World):
    paths = [BILLING, "platform/payments", "platform/auth-service"]
    specs = [project(p, members={"users": {"rita": "reporter"}}) for p in paths]
    converge(world, specs)
    world.reset_counters()
    check = world.run(specs, "check")
    assert pending(check) == []
    counted = routes(world)
    assert "GET /api/v4/projects/:id/members" not in counted, counted
    assert counted.get("POST /api/graphql", 0) >= 1


def test_import_writes_members_and_a_plan_right_after_is_empty(world: World, tmp_path: Path):
    converge(
        world,
        [
            project(
                BILLING, members={"users": {"rita": {"access_level": "reporter", "expires_at": "2099-01-31"}}}
            )
        ],
    )
    converge(world, [group("platform", group_members={"users": {"rita": "guest"}})])
    cli = Cli(world, tmp_path)
    text = cli.imported("platform")
    assert "rita: {access_level: reporter, expires_at: '2099-01-31'}" in text
    assert "group_members:" in text
    cli.write(text)
    plan = cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
