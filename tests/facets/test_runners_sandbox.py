"""The runners facet against the sandbox over HTTP: every write, then convergence (zero writes, empty plan)."""

from __future__ import annotations

import stat

import keyring
import requests

from provisioner.gitlab.runners import MARK
from provisioner.inventory.schema import ProjectRunner, Runners, RunnerSelector, TokenStore
from tests.facets.sandbox_world import World, applied, converge, pending, problems, spec

BILLING = "platform/billing"


def runners_of(world: World, path: str) -> list[dict]:
    pid = world.project_id(path)
    return [
        world.get(f"/runners/{r['id']}") for r in world.get(f"/projects/{pid}/runners", type="project_type")
    ]


def verifies(world: World, token: str) -> bool:
    return (
        requests.post(f"{world.url}/api/v4/runners/verify", json={"token": token}, timeout=15).status_code
        == 200
    )


def test_toggles_are_written_with_put_and_converge(world: World):
    config = Runners(shared_runners_enabled=False, group_runners_enabled=False)
    result = converge(world, [spec(BILLING, runners=config)])
    assert applied(result) == [("update", "runner settings")]
    project = world.get("/projects/platform%2Fbilling")
    assert (project["shared_runners_enabled"], project["group_runners_enabled"]) == (False, False)


def test_a_created_runner_has_its_token_in_the_keyring_and_converges(world: World):
    config = Runners(
        create=[ProjectRunner(description="billing-py", tags=["python", "docker"], maximum_timeout=3600)]
    )
    result = converge(world, [spec(BILLING, runners=config)])
    assert applied(result) == [("create", 'runner "billing-py"')]
    (created,) = [r for r in runners_of(world, BILLING) if r["description"] == "billing-py"]
    assert sorted(created["tag_list"]) == ["docker", "python"] and created["maximum_timeout"] == 3600
    token = keyring.get_password("provisioner-runner", "platform/billing/billing-py")
    assert token is not None and token.startswith("glrt-") and verifies(world, token)


def test_a_token_file_is_created_with_mode_0600(world: World):
    config = Runners(create=[ProjectRunner(description="gpu", token=TokenStore(file="secrets/gpu.token"))])
    converge(world, [spec(BILLING, runners=config)])
    path = world.inventory_dir / "secrets" / "gpu.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert verifies(world, path.read_text().strip())
    assert keyring.get_password("provisioner-runner", "platform/billing/gpu") is None


def test_tags_and_flags_of_a_managed_runner_are_updated_in_place(world: World):
    pid = world.project_id(BILLING)
    made = world.request(
        "POST",
        "/user/runners",
        json={"runner_type": "project_type", "project_id": pid, "description": "ci", "tag_list": ["old"]},
    )
    config = Runners(create=[ProjectRunner(description="ci", tags=["new"], locked=True, paused=True)])
    result = converge(world, [spec(BILLING, runners=config)])
    assert applied(result) == [("update", 'runner "ci"')]
    runner = world.get(f"/runners/{made['id']}")
    assert (runner["tag_list"], runner["locked"], runner["paused"]) == (["new"], True, True)
    assert [r["description"] for r in runners_of(world, BILLING)].count("ci") == 1
    assert keyring.get_password("provisioner-runner", "platform/billing/ci") is None  # no new token


def test_assign_by_description_then_prune_unassigns_what_is_no_longer_named(world: World):
    config = Runners(assign=[RunnerSelector(description="warehouse-shell")])
    result = converge(world, [spec("data/reports", runners=config)])
    assert applied(result) == [("create", 'runner assignment "warehouse-shell" (#4)')]
    assert [r["description"] for r in runners_of(world, "data/reports")] == ["warehouse-shell"]

    result = converge(world, [spec("data/reports", runners=Runners(prune=True))])
    assert applied(result) == [("delete", 'runner assignment "warehouse-shell" (#4)')]
    assert runners_of(world, "data/reports") == []
    assert [r["description"] for r in runners_of(world, "data/warehouse")] == ["warehouse-shell"]


def test_assign_by_tags(world: World):
    pid = world.project_id("data/warehouse")
    body = {
        "runner_type": "project_type",
        "project_id": pid,
        "description": "arm",
        "tag_list": ["arm64", "linux"],
    }
    arm = world.request("POST", "/user/runners", json=body)
    result = converge(world, [spec("data/reports", runners=Runners(assign=[RunnerSelector(tags=["arm64"])]))])
    assert applied(result) == [("create", f'runner assignment "arm" (#{arm["id"]})')]
    assert [r["description"] for r in runners_of(world, "data/reports")] == ["arm"]


def test_the_owner_project_keeps_its_unnamed_runner_as_a_notice_even_with_prune(world: World):
    result = world.run([spec(BILLING, runners=Runners(prune=True))], "apply")
    assert (applied(result), problems(result)) == ([], [])
    (notice,) = [c for p in result.projects for c in p.planned]
    assert notice.target == 'runner "platform-docker" (#3)' and "owns it" in notice.after["note"]


def test_a_selector_matching_nothing_is_one_problem_and_no_write(world: World):
    world.reset_counters()
    result = world.run(
        [spec(BILLING, runners=Runners(shared_runners_enabled=False, assign=[RunnerSelector(tags=["nope"])]))]
    )
    assert problems(result) == ["runners: no project runner this token can see matches tags ['nope']"]
    assert world.writes() == 0 and pending(result) == []


def test_a_runner_id_the_token_may_not_see_is_one_problem(world: World):
    """Runner #3 belongs to platform/billing: GitLab answers 403 to a Maintainer of data only."""
    maintainer = world.user_with_token("maya", ["api"], 40, "data")
    result = world.run(
        [spec("data/reports", runners=Runners(assign=[RunnerSelector(id=3)]))], token=maintainer
    )
    assert problems(result) == ["runners: no project runner this token can see matches id 3"]


def test_prune_rests_on_rest_where_graphql_hides_a_runners_owner(world: World):
    """GraphQL authorises each node: a runner this Maintainer may read (it is assigned to billing) whose
    owner project it may not read shows `ownerProject: null` [G:app/graphql/types/ci/runner_type.rb,
    app/policies/project_policy.rb], which reads as billing's own runner, one GitLab refuses to
    unassign. REST lists the runner's projects, the owner first [G:lib/api/entities/ci/runner_details.rb]:
    pruning decides on that, and unassigns it."""
    group = world.request("POST", "/groups", json={"name": "Elsewhere", "path": "elsewhere"})
    owner = world.request("POST", "/projects", json={"name": "owner", "namespace_id": group["id"]})
    foreign = world.request(
        "POST",
        "/user/runners",
        json={"runner_type": "project_type", "project_id": owner["id"], "description": "foreign"},
    )
    world.request("POST", f"/projects/{world.project_id(BILLING)}/runners", json={"runner_id": foreign["id"]})
    maintainer = world.user_with_token("maintainer", ["api"], 40, "platform")
    config = spec(
        BILLING, runners=Runners(assign=[RunnerSelector(description="platform-docker")], prune=True)
    )

    result = world.run([config], "apply", token=maintainer)

    assert problems(result) == []
    assert applied(result) == [("delete", f'runner assignment "foreign" (#{foreign["id"]})')]
    assert [r["description"] for r in runners_of(world, BILLING)] == ["platform-docker"]


# -- what concurrent runs leave behind (issue 19, item 1) ----------------------------------------------
KEYRING = ("provisioner-runner", "platform/billing/ci")
CI = Runners(create=[ProjectRunner(description="ci")])


def created_at_once(world: World, runs: int = 2) -> list[dict]:
    """What `runs` applies started together did: each found no runner "ci", created one (marked, as the
    tool marks it) and put its token in the same store; the last one's stays there."""
    made = [
        world.request(
            "POST",
            "/user/runners",
            json={
                "runner_type": "project_type",
                "project_id": world.project_id(BILLING),
                "description": "ci",
                "maintenance_note": MARK,
            },
        )
        for _ in range(runs)
    ]
    keyring.set_password(*KEYRING, made[-1]["token"])
    return made


def ci_runners(world: World) -> list[int]:
    return [r["id"] for r in runners_of(world, BILLING) if r["description"] == "ci"]


def test_a_duplicate_left_by_concurrent_runs_is_removed_and_the_held_token_kept(world: World):
    first, second = created_at_once(world)
    plan = world.run([spec(BILLING, runners=CI)], "plan")
    assert [(c["action"], c["target"]) for c in pending(plan)] == [
        ("delete", f'runner "ci" (#{first["id"]})')
    ]
    converge(world, [spec(BILLING, runners=CI)])
    assert ci_runners(world) == [second["id"]]
    assert verifies(world, keyring.get_password(*KEYRING))


def test_a_stored_token_that_no_longer_verifies_is_reset_not_reported_in_sync(world: World):
    kept, gone = created_at_once(world)
    world.request("DELETE", f"/runners/{gone['id']}")  # the other run removed its runner again
    assert not verifies(world, keyring.get_password(*KEYRING))
    plan = world.run([spec(BILLING, runners=CI)], "plan")
    assert [(c["action"], c["target"]) for c in pending(plan)] == [("update", 'runner "ci" token')]
    converge(world, [spec(BILLING, runners=CI)])
    assert ci_runners(world) == [kept["id"]]
    assert verifies(world, keyring.get_password(*KEYRING))


def test_a_token_reset_by_hand_is_reset_again_and_kept(world: World):
    converge(world, [spec(BILLING, runners=CI)])
    (runner,) = ci_runners(world)
    world.request("POST", f"/runners/{runner}/reset_authentication_token")  # a person, in the UI
    result = converge(world, [spec(BILLING, runners=CI)])
    assert applied(result) == [("update", 'runner "ci" token')]
    assert ci_runners(world) == [runner] and verifies(world, keyring.get_password(*KEYRING))


def test_a_duplicate_the_tool_did_not_make_is_only_reported(world: World):
    converge(world, [spec(BILLING, runners=CI)])
    hand_made = world.request(
        "POST",
        "/user/runners",
        json={"runner_type": "project_type", "project_id": world.project_id(BILLING), "description": "ci"},
    )
    result = converge(world, [spec(BILLING, runners=CI)])
    assert applied(result) == []
    assert sorted(ci_runners(world))[-1] == hand_made["id"]


def test_the_run_that_creates_a_runner_does_not_verify_its_fresh_token(world: World):
    """GitLab counts POST /runners/verify as the runner contacting it, and a contacted duplicate is one
    the tool must not delete (a runner process may use it): the run that was handed the token knows it
    is good and does not ask. The next run verifies the token it finds stored, once."""
    config = Runners(create=[ProjectRunner(description="fresh")])
    world.reset_counters()
    result = world.run([spec(BILLING, runners=config)], "apply")
    assert applied(result) == [("create", 'runner "fresh"')] and not problems(result)
    assert "POST /api/v4/runners/verify" not in world.counters()["by_route"]
    (created,) = [r for r in runners_of(world, BILLING) if r["description"] == "fresh"]
    assert created["contacted_at"] is None
    world.reset_counters()
    assert pending(world.run([spec(BILLING, runners=config)], "plan")) == []
    assert world.counters()["by_route"]["POST /api/v4/runners/verify"] == 1
