"""Groups, subgroups, group projects, group variables and members."""

from __future__ import annotations


def _paths(response):
    return sorted(p["path_with_namespace"] for p in response.json())


def test_group_by_path_and_subgroup_by_encoded_path(sandbox):
    """REFERENCE 1.2 and 2.2: a top-level group path works without a slash."""
    platform = sandbox.api.get("/groups/platform?with_projects=false").json()
    libs = sandbox.api.get("/groups/platform%2Flibs").json()
    assert platform["full_path"] == "platform" and "projects" not in platform
    assert libs["parent_id"] == platform["id"] and libs["full_name"] == "Platform / Libs"
    assert sandbox.api.get("/groups/nope").json() == {"message": "404 Group Not Found"}


def test_group_projects_include_subgroups_only_on_request(sandbox):
    """REFERENCE 2.2: include_subgroups defaults to false."""
    direct = sandbox.api.get("/groups/platform/projects")
    assert _paths(direct) == ["platform/auth-service", "platform/billing", "platform/payments"]
    deep = sandbox.api.get("/groups/platform/projects?include_subgroups=true")
    assert "platform/libs/common-utils" in _paths(deep) and len(deep.json()) == 5


def test_group_projects_with_shared_defaults_to_true(sandbox):
    """REFERENCE 2.2: with_shared (default true) includes projects shared into the group."""
    data_id = sandbox.api.get("/groups/data").json()["id"]
    sandbox.api.post("/projects/platform%2Fbilling/share", json={"group_id": data_id, "group_access": 20})
    assert "platform/billing" in _paths(sandbox.api.get("/groups/data/projects"))
    assert "platform/billing" not in _paths(sandbox.api.get("/groups/data/projects?with_shared=false"))


def test_python_gitlab_group_projects_list(sandbox):
    """REFERENCE 2.2: the drift-scan query, through python-gitlab."""
    group = sandbox.gl().groups.get("data")
    projects = group.projects.list(include_subgroups=True, with_shared=False, get_all=True)
    assert len(projects) == 5


def test_create_group_and_subgroup(sandbox, dana):
    """REFERENCE 2.2: POST /groups; subgroups need Maintainer on the parent."""
    parent = sandbox.api.post("/groups", json={"name": "Ops", "path": "ops"}).json()
    child = sandbox.api.post("/groups", json={"name": "Tools", "path": "tools", "parent_id": parent["id"]})
    assert child.status_code == 201 and child.json()["full_path"] == "ops/tools"
    refused = dana.post("/groups", json={"name": "X", "path": "x", "parent_id": parent["id"]})
    assert refused.status_code == 404  # dana cannot even see the private group
    platform_id = sandbox.api.get("/groups/platform").json()["id"]
    assert dana.post("/groups", json={"name": "X", "path": "x", "parent_id": platform_id}).status_code == 403
    duplicate = sandbox.api.post("/groups", json={"name": "Ops", "path": "ops"})
    assert duplicate.status_code == 400


def test_group_variables_crud(sandbox):
    """REFERENCE 2.3: the same routes under /groups/:id/variables."""
    listed = sandbox.api.get("/groups/data/variables").json()
    assert listed[0]["key"] == "DATA_LAKE_URL" and listed[0]["value"] == "s3://lake/raw"
    assert listed[0]["masked"] is False
    created = sandbox.api.post("/groups/data/variables", json={"key": "REGION", "value": "eu"})
    assert created.status_code == 201
    updated = sandbox.api.put("/groups/data/variables/REGION", json={"value": "us"})
    assert updated.json()["value"] == "us"
    assert sandbox.api.delete("/groups/data/variables/REGION").status_code == 204


def test_members_give_roles_inherited_from_ancestor_groups(sandbox):
    """REFERENCE 2.9: members and inherited access."""
    user_id, token = sandbox.user_with_token("mia")
    as_mia = sandbox.as_user(token)
    assert as_mia.get("/projects/platform%2Flibs%2Fhttp-client").status_code == 404
    sandbox.add_member("groups", "platform", user_id, 40)
    assert as_mia.get("/projects/platform%2Flibs%2Fhttp-client/variables").status_code == 200
    members = sandbox.api.get("/projects/platform%2Flibs%2Fhttp-client/members/all").json()
    assert {m["username"]: m["access_level"] for m in members}["mia"] == 40
    assert sandbox.api.get("/projects/platform%2Flibs%2Fhttp-client/members").json() == []
    again = sandbox.api.post("/groups/platform/members", json={"user_id": user_id, "access_level": 30})
    assert again.status_code == 409 and again.json() == {"message": "Member already exists"}
    missing = sandbox.api.post("/groups/platform/members", json={"user_id": 999, "access_level": 30})
    assert missing.json() == {"message": "404 User Not Found"}


def test_project_member_by_username(sandbox):
    """REFERENCE 2.9: POST takes user_id or username."""
    sandbox.user_with_token("noah")
    added = sandbox.api.post("/projects/data%2Fingest/members", json={"username": "noah", "access_level": 30})
    assert added.status_code == 201 and added.json()["access_level"] == 30
