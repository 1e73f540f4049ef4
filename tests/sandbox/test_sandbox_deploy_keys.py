"""Deploy keys as GitLab keeps them [G:lib/api/deploy_keys.rb, app/models/key.rb,
app/policies/deploy_key_policy.rb, lib/api/users.rb `project_deploy_keys`]."""

from __future__ import annotations

BLOB = "AAAAC3NzaC1lZDI1NTE5AAAAILkYXU2fVeO4/0rDCSsswP5iIX2+B6tv15YT3KObgyDl"
PRINT = "SHA256:Ojq2LZW43BFK/AMP81jBkDGn9YpPWYRNcViKBB44LPU"  # doc/api/deploy_keys.md's example key
BILLING, PAYMENTS, REPORTS = (
    "/projects/platform%2Fbilling",
    "/projects/platform%2Fpayments",
    "/projects/data%2Freports",
)


def add(api, project, comment="ci", title="ci", **extra):
    return api.post(
        f"{project}/deploy_keys", json={"title": title, "key": f"ssh-ed25519 {BLOB} {comment}", **extra}
    )


def test_a_key_is_created_with_gitlab_s_fingerprints_and_listed_with_can_push(sandbox):
    made = add(sandbox.api, BILLING, can_push=True)
    assert made.status_code == 201
    body = made.json()
    assert (body["fingerprint_sha256"], body["fingerprint"], body["can_push"]) == (
        PRINT,
        "40:8e:fa:df:70:f7:a7:06:1e:0d:6f:ae:f2:27:92:01",
        True,
    )
    (listed,) = sandbox.api.get(f"{BILLING}/deploy_keys").json()
    assert listed["key"] == f"ssh-ed25519 {BLOB} ci" and listed["can_push"] is True


def test_the_same_text_joins_the_key_and_another_comment_is_a_taken_fingerprint(sandbox):
    first = add(sandbox.api, BILLING).json()
    joined = add(sandbox.api, PAYMENTS)
    assert joined.status_code == 201 and joined.json()["id"] == first["id"]
    taken = add(sandbox.api, REPORTS, comment="other")
    assert (taken.status_code, taken.json()) == (
        400,
        {"message": {"deploy_key.fingerprint_sha256": ["has already been taken"]}},
    )
    enabled = sandbox.api.post(f"{REPORTS}/deploy_keys/{first['id']}/enable")
    assert enabled.status_code == 201 and "can_push" not in enabled.json()
    assert len(sandbox.api.get("/deploy_keys").json()) == 1


def test_what_a_non_administrator_may_list_and_enable(sandbox):
    """GET /deploy_keys is for administrators; a user lists the keys of projects they maintain, and
    enables only those (or public ones)."""
    key_id = add(sandbox.api, REPORTS).json()["id"]
    maya, token = sandbox.user_with_token("maya")
    as_maya = sandbox.as_user(token)
    assert as_maya.get("/deploy_keys").status_code == 403
    assert as_maya.get(f"/users/{maya}/project_deploy_keys").json() == {
        "message": "403 Forbidden - No common authorized project found"
    }
    sandbox.add_member("projects", "platform/billing", maya, 40)
    assert as_maya.get(f"/users/{maya}/project_deploy_keys").json() == []
    assert as_maya.post(f"{BILLING}/deploy_keys/{key_id}/enable").json() == {
        "message": "404 Deploy key Not Found"
    }
    sandbox.add_member("projects", "data/reports", maya, 40)
    assert [k["fingerprint_sha256"] for k in as_maya.get(f"/users/{maya}/project_deploy_keys").json()] == [
        PRINT
    ]
    assert as_maya.post(f"{BILLING}/deploy_keys/{key_id}/enable").status_code == 201


def test_a_shared_key_s_title_is_kept_silently_and_can_push_is_per_project(sandbox):
    """`update_deploy_key_title` only while one project uses the key (or for an administrator)."""
    key_id = add(sandbox.api, BILLING).json()["id"]
    add(sandbox.api, PAYMENTS)
    maya, token = sandbox.user_with_token("maya")
    sandbox.add_member("groups", "platform", maya, 40)
    answer = sandbox.as_user(token).put(
        f"{PAYMENTS}/deploy_keys/{key_id}", json={"title": "renamed", "can_push": True}
    )
    assert answer.status_code == 200 and (answer.json()["title"], answer.json()["can_push"]) == ("ci", True)
    assert sandbox.api.get(f"{BILLING}/deploy_keys").json()[0]["can_push"] is False


def test_a_key_leaves_the_instance_with_its_last_project(sandbox):
    key_id = add(sandbox.api, BILLING).json()["id"]
    add(sandbox.api, PAYMENTS)
    assert sandbox.api.delete(f"{BILLING}/deploy_keys/{key_id}").status_code == 204
    assert len(sandbox.api.get("/deploy_keys").json()) == 1
    assert sandbox.api.delete(f"{PAYMENTS}/deploy_keys/{key_id}").status_code == 204
    assert sandbox.api.get("/deploy_keys").json() == []


def test_what_is_not_a_public_key_is_refused(sandbox):
    bad = sandbox.api.post(f"{BILLING}/deploy_keys", json={"title": "x", "key": "ssh-ed25519 bm90IGEga2V5"})
    assert bad.status_code == 400 and "deploy_key.key" in bad.json()["message"]
