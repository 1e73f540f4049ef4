"""Runner tokens and cleanup policy values, as GitLab has them (added for the runners/registry facets).

REFERENCE 2.4 (Runners) covers creating a runner and its once-shown `glrt-` token, not resetting or
verifying it, and REFERENCE 2.1 (Projects) lists the cleanup policy values from memory (unverified); so
each test cites the GitLab source it follows.
"""

from __future__ import annotations


def _create_runner(sandbox) -> dict:
    project = sandbox.api.get("/projects/platform%2Fbilling").json()
    created = sandbox.api.post(
        "/user/runners", json={"runner_type": "project_type", "project_id": project["id"], "description": "x"}
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_runner_verify_accepts_the_current_token_only(sandbox):
    """REFERENCE 2.4 for the token; [G:lib/api/ci/runner.rb] POST /runners/verify: 200 with a valid
    token, 403 otherwise."""
    runner = _create_runner(sandbox)
    ok = sandbox.api.post("/runners/verify", json={"token": runner["token"]}, token=None)
    assert ok.status_code == 200 and ok.json()["id"] == runner["id"]
    assert sandbox.api.post("/runners/verify", json={"token": "glrt-nope"}, token=None).status_code == 403


def test_reset_authentication_token_replaces_the_token(sandbox):
    """[G:lib/api/ci/runners.rb] POST /runners/:id/reset_authentication_token by whoever may update it."""
    runner = _create_runner(sandbox)
    reset = sandbox.api.post(f"/runners/{runner['id']}/reset_authentication_token")
    assert reset.status_code == 201
    new = reset.json()["token"]
    assert new.startswith("glrt-") and new != runner["token"]
    assert sandbox.api.post("/runners/verify", json={"token": runner["token"]}, token=None).status_code == 403
    assert sandbox.api.post("/runners/verify", json={"token": new}, token=None).status_code == 200


def test_reset_needs_the_right_to_update_the_runner(sandbox, dana):
    """[G:lib/api/ci/runners.rb] `authenticate_update_runner!`: 403 "No access granted" otherwise."""
    runner = _create_runner(sandbox)
    refused = dana.post(f"/runners/{runner['id']}/reset_authentication_token")
    assert refused.status_code == 403 and refused.json() == {"message": "403 Forbidden - No access granted"}


def test_cleanup_policy_has_no_60_days(sandbox):
    """[G:app/models/container_expiration_policy.rb] older_than_options: 7d, 14d, 30d, 90d; REFERENCE 2.1's
    unverified list (which has 60d) is wrong here."""
    path = "/projects/platform%2Fauth-service"
    bad = sandbox.api.put(path, json={"container_expiration_policy_attributes": {"older_than": "60d"}})
    assert bad.status_code == 400
    good = sandbox.api.put(path, json={"container_expiration_policy_attributes": {"older_than": "30d"}})
    assert good.json()["container_expiration_policy"]["older_than"] == "30d"


def test_a_verified_token_counts_as_the_runner_contacting_gitlab(sandbox):
    """[G:lib/api/ci/helpers/runner.rb] `authenticate_runner!` heartbeats the runner, which sets
    `contacted_at` [G:app/models/ci/runner.rb `heartbeat`]; a refused token does not. REST and GraphQL
    (`CiRunner.contactedAt`, [G:app/graphql/types/ci/runner_type.rb]) show it."""
    runner = _create_runner(sandbox)
    assert sandbox.api.post("/runners/verify", json={"token": "glrt-nope"}, token=None).status_code == 403
    assert sandbox.api.get(f"/runners/{runner['id']}").json()["contacted_at"] is None
    assert sandbox.api.post("/runners/verify", json={"token": runner["token"]}, token=None).status_code == 200
    details = sandbox.api.get(f"/runners/{runner['id']}").json()
    assert details["contacted_at"] is not None and details["status"] == "online"
    query = '{ project(fullPath: "platform/billing") { runners { nodes { id contactedAt } } } }'
    nodes = sandbox.graphql(query)["data"]["project"]["runners"]["nodes"]
    (node,) = [n for n in nodes if n["id"] == f"gid://gitlab/Ci::Runner/{runner['id']}"]
    assert node["contactedAt"] == details["contacted_at"]
