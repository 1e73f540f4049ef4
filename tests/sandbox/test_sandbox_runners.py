"""Runners of the three types; creating, listing, assigning, unassigning, updating."""

from __future__ import annotations

import gitlab
import pytest

from provisioner.sandbox.seed import DANA_TOKEN


def _descriptions(response):
    return sorted(r["description"] for r in response.json())


def test_runner_entities_of_the_three_types(sandbox):
    """REFERENCE 2.4: Runner and RunnerDetails JSON."""
    runners = {r["description"]: r for r in sandbox.api.get("/runners/all").json()}
    assert {r["runner_type"] for r in runners.values()} == {"instance_type", "group_type", "project_type"}
    shared = runners["gitlab-shared-docker"]
    assert shared["is_shared"] is True and shared["ip_address"] is None and shared["active"] is True
    details = sandbox.api.get(f"/runners/{runners['platform-docker']['id']}").json()
    assert details["tag_list"] == ["docker", "python"]
    assert details["projects"][0]["path_with_namespace"] == "platform/billing"
    assert {"run_untagged", "locked", "maximum_timeout", "access_level", "maintenance_note"} <= set(details)


def test_runners_all_is_admin_only_and_filters(sandbox, dana):
    """REFERENCE 2.4: GET /runners/all needs an administrator; filters type and tag_list."""
    assert dana.get("/runners/all").status_code == 403
    by_type = sandbox.api.get("/runners/all?type=group_type")
    assert _descriptions(by_type) == ["data-gpu"]
    by_tags = sandbox.api.get("/runners/all", params={"tag_list": "docker"})
    assert _descriptions(by_tags) == ["gitlab-shared-docker", "platform-docker"]
    bad = sandbox.api.get("/runners/all?type=nope")
    assert bad.status_code == 400 and bad.json() == {"error": "type does not have a valid value"}


def test_runners_lists_only_runners_the_user_manages(sandbox):
    """REFERENCE 2.4: GET /runners: project and group runners the user can manage."""
    user_id, token = sandbox.user_with_token("owen")
    sandbox.add_member("projects", "data/warehouse", user_id, 40)
    assert _descriptions(sandbox.as_user(token).get("/runners")) == ["warehouse-shell"]


def test_create_runner_returns_the_glrt_token_once(sandbox):
    """REFERENCE 2.4: POST /user/runners returns {"id","token","token_expires_at"} once."""
    project_id = sandbox.api.get("/projects/data%2Fingest").json()["id"]
    created = sandbox.api.post(
        "/user/runners",
        json={
            "runner_type": "project_type",
            "project_id": project_id,
            "description": "ingest",
            "tag_list": ["a"],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "token", "token_expires_at"} and body["token"].startswith("glrt-")
    details = sandbox.api.get(f"/runners/{body['id']}").json()
    assert "token" not in details and details["status"] == "never_contacted"
    assert all("token" not in r for r in sandbox.api.get(f"/projects/{project_id}/runners").json())


def test_create_runner_scopes_and_roles(sandbox):
    """REFERENCE 2.4: create_runner scope suffices; read_api does not. A project runner needs Maintainer
    (ProjectPolicy enables `create_runner` in its maintainer block [G:app/policies/project_policy.rb];
    REFERENCE 2.4 says Owner: GitLab's source wins)."""
    user_id, token = sandbox.user_with_token("cora", ["create_runner"])
    sandbox.add_member("projects", "data/ingest", user_id, 50)
    project_id = sandbox.api.get("/projects/data%2Fingest").json()["id"]
    as_cora = sandbox.as_user(token)
    assert as_cora.post("/user/runners", json={"runner_type": "project_type", "project_id": project_id}).ok
    assert as_cora.get("/projects/data%2Fingest").status_code == 403  # create_runner is not an API scope
    maintainer_id, maintainer = sandbox.user_with_token("max")
    sandbox.add_member("projects", "data/ingest", maintainer_id, 40)
    body = {"runner_type": "project_type", "project_id": project_id}
    assert sandbox.as_user(maintainer).post("/user/runners", json=body).status_code == 201
    developer_id, developer = sandbox.user_with_token("devi")
    sandbox.add_member("projects", "data/ingest", developer_id, 30)
    refused = sandbox.as_user(developer).post("/user/runners", json=body)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("403 Forbidden")
    missing = sandbox.api.post("/user/runners", json={"description": "x"})
    assert missing.json() == {"error": "runner_type is missing"}


def test_python_gitlab_user_runners_create(sandbox):
    """REFERENCE 2.4: python-gitlab's CurrentUserRunnerManager.create."""
    gl = sandbox.gl()
    gl.auth()
    group = gl.groups.get("data")
    runner = gl.user.runners.create({"runner_type": "group_type", "group_id": group.id})
    assert runner.token.startswith("glrt-")


def test_assign_and_unassign_project_runners(sandbox):
    """REFERENCE 2.4: POST/DELETE /projects/:id/runners and their 403 messages."""
    runners = {r["description"]: r["id"] for r in sandbox.api.get("/runners/all").json()}
    assigned = sandbox.api.post(
        "/projects/data%2Fingest/runners", json={"runner_id": runners["platform-docker"]}
    )
    assert assigned.status_code == 201 and assigned.json()["description"] == "platform-docker"
    listed = _descriptions(sandbox.api.get("/projects/data%2Fingest/runners"))
    assert listed == ["data-gpu", "gitlab-shared-docker", "platform-docker"]
    group_runner = sandbox.api.post(
        "/projects/data%2Fingest/runners", json={"runner_id": runners["data-gpu"]}
    )
    assert group_runner.status_code == 403
    assert group_runner.json() == {"message": "403 Forbidden - Runner is a group runner"}
    owner = sandbox.api.delete(f"/projects/platform%2Fbilling/runners/{runners['platform-docker']}")
    assert owner.status_code == 403
    unassign = "You cannot unassign a runner from the owner project. Delete the runner instead"
    assert owner.json() == {"message": f"403 Forbidden - {unassign}"}
    deleted = sandbox.api.delete(f"/runners/{runners['platform-docker']}")
    assert deleted.json() == {"message": "403 Forbidden - Runner associated with more than one project"}
    assert (
        sandbox.api.delete(f"/projects/data%2Fingest/runners/{runners['platform-docker']}").status_code == 204
    )
    assert (
        sandbox.api.delete(f"/projects/data%2Fingest/runners/{runners['platform-docker']}").status_code == 404
    )


def test_project_runners_include_the_ancestor_groups_runners(sandbox):
    """REFERENCE 2.4 and [G:app/models/ci/runner.rb] `owned_or_instance_wide`: GET /projects/:id/runners
    lists the project's runners, the group runners of its group and its ancestors, the instance runners;
    `type` filters that union."""
    for group, description in (("platform", "platform-wide"), ("platform%2Flibs", "libs-only")):
        group_id = sandbox.api.get(f"/groups/{group}").json()["id"]
        created = sandbox.api.post(
            "/user/runners",
            json={"runner_type": "group_type", "group_id": group_id, "description": description},
        )
        assert created.status_code == 201, created.text
    utils = "/projects/platform%2Flibs%2Fcommon-utils/runners"
    assert _descriptions(sandbox.api.get(utils)) == ["gitlab-shared-docker", "libs-only", "platform-wide"]
    # A subgroup's runner is not offered to the parent group's projects, nor another group's runner.
    billing = "/projects/platform%2Fbilling/runners"
    assert _descriptions(sandbox.api.get(billing)) == [
        "gitlab-shared-docker",
        "platform-docker",
        "platform-wide",
    ]
    assert _descriptions(sandbox.api.get(billing, params={"type": "group_type"})) == ["platform-wide"]
    assert _descriptions(sandbox.api.get(billing, params={"type": "project_type"})) == ["platform-docker"]
    assert _descriptions(sandbox.api.get(billing, params={"type": "instance_type"})) == [
        "gitlab-shared-docker"
    ]


def test_project_runners_follow_the_shared_and_group_runners_toggles(sandbox):
    """[G:app/models/ci/runner.rb] `owned_or_instance_wide`: group runners only while the project's
    group_runners_enabled, instance runners only while its shared_runners_enabled
    (gitlab-org/gitlab#351758)."""
    ingest = "/projects/data%2Fingest"
    assert _descriptions(sandbox.api.get(f"{ingest}/runners")) == ["data-gpu", "gitlab-shared-docker"]
    assert sandbox.api.put(ingest, json={"group_runners_enabled": False}).ok
    assert _descriptions(sandbox.api.get(f"{ingest}/runners")) == ["gitlab-shared-docker"]
    assert sandbox.api.put(ingest, json={"group_runners_enabled": True, "shared_runners_enabled": False}).ok
    assert _descriptions(sandbox.api.get(f"{ingest}/runners")) == ["data-gpu"]
    assert sandbox.api.get(f"{ingest}/runners", params={"type": "instance_type"}).json() == []


def test_locked_runner_cannot_be_assigned(sandbox):
    """REFERENCE 2.4: 403 Runner is locked."""
    runner_id = {r["description"]: r["id"] for r in sandbox.api.get("/runners/all").json()}["warehouse-shell"]
    sandbox.api.put(f"/runners/{runner_id}", json={"locked": True})
    response = sandbox.api.post("/projects/data%2Fingest/runners", json={"runner_id": runner_id})
    assert response.json() == {"message": "403 Forbidden - Runner is locked"}


def test_update_runner_replaces_tags_and_checks_exclusive_params(sandbox):
    """REFERENCE 2.4: PUT /runners/:id: tag_list replaces; active and paused are exclusive."""
    runner_id = {r["description"]: r["id"] for r in sandbox.api.get("/runners/all").json()}["data-gpu"]
    body = sandbox.api.put(f"/runners/{runner_id}", data={"tag_list": "gpu,cuda", "paused": "true"}).json()
    assert body["tag_list"] == ["gpu", "cuda"] and body["paused"] is True and body["active"] is False
    both = sandbox.api.put(f"/runners/{runner_id}", json={"active": True, "paused": False})
    assert both.json() == {"error": "active, paused are mutually exclusive"}
    nothing = sandbox.api.put(f"/runners/{runner_id}", json={"unknown": 1})
    assert nothing.status_code == 400 and "at least one parameter" in nothing.json()["error"]


def test_developer_cannot_manage_runners(sandbox):
    """REFERENCE 2.4: GET /projects/:id/runners needs Maintainer; other runners answer No access granted."""
    as_dana = sandbox.gl(DANA_TOKEN)
    with pytest.raises(gitlab.GitlabListError) as caught:
        as_dana.projects.get("platform/billing").runners.list(get_all=True)
    assert caught.value.response_code == 403
    runner_id = {r["description"]: r["id"] for r in sandbox.api.get("/runners/all").json()}["platform-docker"]
    response = sandbox.as_user(DANA_TOKEN).get(f"/runners/{runner_id}")
    assert response.json() == {"message": "403 Forbidden - No access granted"}
