"""Job token scope, registry protection rules, deploy tokens."""

from __future__ import annotations

SCOPE = "/projects/{id}/job_token_scope"


def _id(sandbox, path):
    return sandbox.api.get(f"/projects/{path.replace('/', '%2F')}").json()["id"]


def test_job_token_scope_read_and_patch_204_without_body(sandbox):
    """REFERENCE 0.6 and 2.5: read inbound_enabled, write enabled with PATCH, 204 and no body."""
    warehouse = _id(sandbox, "data/warehouse")
    assert sandbox.api.get(SCOPE.format(id=warehouse)).json() == {
        "inbound_enabled": False,
        "outbound_enabled": False,
    }
    response = sandbox.api.patch(SCOPE.format(id=warehouse), json={"enabled": True})
    assert response.status_code == 204 and response.content == b""
    assert sandbox.api.get(SCOPE.format(id=warehouse)).json()["inbound_enabled"] is True
    missing = sandbox.api.patch(SCOPE.format(id=warehouse), json={"inbound_enabled": False})
    assert missing.status_code == 400 and missing.json() == {"error": "enabled is missing"}


def test_python_gitlab_job_token_scope_save(sandbox):
    """REFERENCE 2.5: python-gitlab's ProjectJobTokenScope.save() uses PATCH and expects no body."""
    project = sandbox.gl().projects.get("data/warehouse")
    scope = project.job_token_scope.get()
    assert scope.inbound_enabled is False
    scope.enabled = True
    scope.save()
    assert project.job_token_scope.get().inbound_enabled is True


def test_project_allowlist_needs_numeric_ids(sandbox):
    """REFERENCE 1.2 and 2.5: allowlist routes declare id as Integer; duplicates and unknown targets."""
    source, target = _id(sandbox, "data/warehouse"), _id(sandbox, "data/reports")
    by_path = sandbox.api.post(
        "/projects/data%2Fwarehouse/job_token_scope/allowlist", json={"target_project_id": target}
    )
    assert by_path.status_code == 400 and by_path.json() == {"error": "id is invalid"}
    added = sandbox.api.post(
        f"/projects/{source}/job_token_scope/allowlist", json={"target_project_id": target}
    )
    assert added.status_code == 201
    assert added.json() == {"source_project_id": source, "target_project_id": target}
    again = sandbox.api.post(
        f"/projects/{source}/job_token_scope/allowlist", json={"target_project_id": target}
    )
    assert again.json() == {"message": "400 Bad request - Target project is already in the job token scope"}
    unknown = sandbox.api.post(
        f"/projects/{source}/job_token_scope/allowlist", json={"target_project_id": 999}
    )
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "404 target_project_id not found Not Found"}
    listed = sandbox.api.get("/projects/data%2Fwarehouse/job_token_scope/allowlist").json()
    assert [p["id"] for p in listed] == [source, target]  # a list returns `id`, a POST `target_project_id`
    assert sandbox.api.delete(f"/projects/{source}/job_token_scope/allowlist/{target}").status_code == 204


def test_group_allowlist(sandbox):
    """REFERENCE 2.5: groups_allowlist with target_group_id."""
    source = _id(sandbox, "data/warehouse")
    group_id = sandbox.api.get("/groups/platform").json()["id"]
    url = f"/projects/{source}/job_token_scope/groups_allowlist"
    added = sandbox.api.post(url, json={"target_group_id": group_id})
    assert added.json() == {"source_project_id": source, "target_group_id": group_id}
    again = sandbox.api.post(url, json={"target_group_id": group_id})
    assert again.json() == {"message": "400 Bad request - Target group is already in the job token scope"}
    assert sandbox.api.get(url).json()[0]["name"] == "Platform"
    assert sandbox.api.delete(f"{url}/{group_id}").status_code == 204


def test_job_token_scope_needs_maintainer(sandbox, rita):
    """REFERENCE 2.5: authorize_admin_project on every route."""
    assert rita.get("/projects/data%2Fwarehouse/job_token_scope").status_code == 403


def test_container_protection_rules(sandbox):
    """REFERENCE 2.6: POST needs a pattern and a level; PATCH with "" unsets; duplicate 422."""
    url = "/projects/platform%2Fbilling/registry/protection/repository/rules"
    none = sandbox.api.post(url, json={"repository_path_pattern": "platform/billing/*"})
    assert none.status_code == 400 and "at least one parameter" in none.json()["error"]
    created = sandbox.api.post(
        url,
        json={"repository_path_pattern": "platform/billing/*", "minimum_access_level_for_push": "maintainer"},
    )
    assert created.status_code == 201
    rule = created.json()
    assert rule["minimum_access_level_for_delete"] is None and rule["project_id"] == _id(
        sandbox, "platform/billing"
    )
    duplicate = sandbox.api.post(
        url,
        json={"repository_path_pattern": "platform/billing/*", "minimum_access_level_for_delete": "owner"},
    )
    assert duplicate.status_code == 422 and set(duplicate.json()["message"]) == {"error"}
    patched = sandbox.api.patch(
        f"{url}/{rule['id']}",
        json={"minimum_access_level_for_delete": "owner", "minimum_access_level_for_push": ""},
    ).json()
    assert (
        patched["minimum_access_level_for_push"] is None
        and patched["minimum_access_level_for_delete"] == "owner"
    )
    assert sandbox.api.delete(f"{url}/{rule['id']}").status_code == 204
    assert sandbox.api.get(url).json() == []


def test_package_protection_rules(sandbox):
    """REFERENCE 2.7: all three attributes required; duplicate pattern and type 422."""
    url = "/projects/platform%2Fbilling/packages/protection/rules"
    body = {
        "package_name_pattern": "billing-*",
        "package_type": "pypi",
        "minimum_access_level_for_push": "owner",
    }
    created = sandbox.api.post(url, json=body)
    assert created.status_code == 201 and created.json()["package_type"] == "pypi"
    assert sandbox.api.post(url, json=body).status_code == 422
    missing = sandbox.api.post(url, json={"package_name_pattern": "x"})
    assert missing.json() == {
        "error": "package_type is missing, minimum_access_level_for_push is missing",
    }
    patched = sandbox.api.patch(
        f"{url}/{created.json()['id']}", json={"minimum_access_level_for_push": "admin"}
    )
    assert patched.json()["minimum_access_level_for_push"] == "admin"


def test_deploy_tokens_show_the_token_only_on_create(sandbox):
    """REFERENCE 2.8: POST is the only response with `token`; default username."""
    url = "/projects/platform%2Fauth-service/deploy_tokens"
    existing = sandbox.api.get(url).json()
    assert [t["name"] for t in existing] == ["registry-read"] and "token" not in existing[0]
    created = sandbox.api.post(url, json={"name": "ci-pull", "scopes": ["read_registry", "read_repository"]})
    assert created.status_code == 201
    body = created.json()
    assert body["token"] and body["username"] == f"gitlab+deploy-token-{body['id']}"
    assert body["expired"] is False and body["revoked"] is False
    read = sandbox.api.get(f"{url}/{body['id']}").json()
    assert "token" not in read and read["scopes"] == ["read_registry", "read_repository"]
    bad = sandbox.api.post(url, json={"name": "x", "scopes": ["api"]})
    assert bad.json() == {"error": "scopes does not have a valid value"}
    assert sandbox.api.delete(f"{url}/{body['id']}").status_code == 204


def test_group_deploy_tokens_need_owner(sandbox, dana):
    """REFERENCE 2.8: only the group Owner may create or delete."""
    response = dana.post("/groups/platform/deploy_tokens", json={"name": "x", "scopes": ["read_registry"]})
    assert response.status_code == 403
    created = sandbox.api.post(
        "/groups/platform/deploy_tokens", json={"name": "x", "scopes": ["read_registry"]}
    )
    assert created.status_code == 201


def test_cleanup_policy_of_the_demo_world(sandbox):
    """REFERENCE 2.1: container_expiration_policy is read back; auth-service has it disabled."""
    policy = sandbox.api.get("/projects/platform%2Fauth-service").json()["container_expiration_policy"]
    assert policy["enabled"] is False and policy["next_run_at"] is None
