"""The deploy keys facet against the sandbox over HTTP: a key GitLab already has is enabled, never
created twice, whatever its comment; what a token cannot reach is refused with what to do."""

from __future__ import annotations

from pathlib import Path

from tests.facets.onboarding import Cli, new_user, project, routes, token_for
from tests.facets.sandbox_world import World, applied, converge, pending, problems

BLOB = "AAAAC3NzaC1lZDI1NTE5AAAAILkYXU2fVeO4/0rDCSsswP5iIX2+B6tv15YT3KObgyDl"
PRINT = "SHA256:Ojq2LZW43BFK/AMP81jBkDGn9YpPWYRNcViKBB44LPU"
BILLING, PAYMENTS = "platform/billing", "platform/payments"


def keys_of(world: World, path: str) -> list[dict]:
    return list(world.get(f"/projects/{world.project_id(path)}/deploy_keys"))


def instance_keys(world: World) -> int:
    return len(world.get("/deploy_keys"))  # the admin's view of every key


def inventory(title: str = "ci", comment: str = "ci", can_push: bool = False) -> dict:
    return {"keys": [{"title": title, "key": f"ssh-ed25519 {BLOB} {comment}", "can_push": can_push}]}


def test_a_key_is_created_once_and_its_write_access_kept(world: World):
    result = converge(world, [project(BILLING, deploy_keys=inventory(can_push=True))])
    assert applied(result) == [("create", f"deploy key ci ({PRINT})")]
    (key,) = keys_of(world, BILLING)
    assert (key["fingerprint_sha256"], key["can_push"]) == (PRINT, True)
    world.request(
        "PUT", f"/projects/{world.project_id(BILLING)}/deploy_keys/{key['id']}", json={"can_push": False}
    )
    check = world.run([project(BILLING, deploy_keys=inventory(can_push=True))], "check")
    assert [(c["action"], c["before"]) for c in pending(check)] == [("update", {"can_push": False})]


def test_the_same_key_in_another_project_is_enabled_not_duplicated(world: World):
    """Written with another comment, GitLab refuses a second key with its fingerprint; the tool finds it
    among the keys of the projects its user maintains (no admin needed) and enables it."""
    maya = new_user(world, "maya")
    world.request("POST", "/groups/platform/members", json={"user_id": maya, "access_level": 40})
    billing = world.project_id(BILLING)
    world.request(
        "POST",
        f"/projects/{billing}/deploy_keys",
        json={"title": "team", "key": f"ssh-ed25519 {BLOB} team@laptop"},
    )
    token = token_for(world, maya)
    result = world.run([project(PAYMENTS, deploy_keys=inventory(comment="ci", can_push=True))], token=token)
    assert problems(result) == [] and applied(result) == [("create", f"deploy key ci ({PRINT})")]
    assert instance_keys(world) == 1
    (key,) = keys_of(world, PAYMENTS)
    assert key["can_push"] is True and key["title"] == "team"  # the key's own title
    world.reset_counters()
    again = world.run([project(PAYMENTS, deploy_keys=inventory(comment="ci", can_push=True))], token=token)
    assert world.writes() == 0 and pending(again) == []
    notice = [c for p in again.projects for c in p.planned if c.action.value == "unmanaged"]
    assert notice and "one title per key" in notice[0].after["note"]  # said, never written
    assert "POST /api/v4/projects/:id/deploy_keys/:key_id/enable" not in routes(world)


def test_the_same_text_is_joined_by_gitlab_itself(world: World):
    converge(world, [project(BILLING, deploy_keys=inventory())])
    converge(world, [project(PAYMENTS, deploy_keys=inventory())])
    assert instance_keys(world) == 1 and len(keys_of(world, PAYMENTS)) == 1


def test_a_key_the_token_cannot_reach_is_refused_with_what_to_do(world: World):
    maya = new_user(world, "maya")
    world.request("POST", "/groups/platform/members", json={"user_id": maya, "access_level": 40})
    world.request(
        "POST",
        f"/projects/{world.project_id('data/reports')}/deploy_keys",
        json={"title": "data", "key": f"ssh-ed25519 {BLOB} data"},
    )
    result = world.run([project(BILLING, deploy_keys=inventory())], token=token_for(world, maya))
    (problem,) = problems(result)
    assert "cannot enable it from" in problem and PRINT in problem
    assert keys_of(world, BILLING) == [] and instance_keys(world) == 1


def test_prune_disables_a_key_and_gitlab_deletes_it_once_unused(world: World):
    converge(world, [project(BILLING, deploy_keys=inventory())])
    result = converge(world, [project(BILLING, deploy_keys={"prune": True})])
    assert applied(result) == [("delete", f"deploy key ci ({PRINT})")]
    assert keys_of(world, BILLING) == [] and instance_keys(world) == 0


def test_import_writes_deploy_keys_and_a_plan_right_after_is_empty(world: World, tmp_path: Path):
    converge(world, [project(BILLING, deploy_keys=inventory(can_push=True))])
    cli = Cli(world, tmp_path)
    text = cli.imported("platform")
    assert f"key: ssh-ed25519 {BLOB} ci" in text
    cli.write(text)
    plan = cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
