"""Projects: create/read/update/delete, attribute asymmetries, permission-dependent fields."""

from __future__ import annotations

import gitlab
import pytest

from provisioner.sandbox.seed import DANA_TOKEN, RITA_TOKEN

CREATE_IGNORED = {
    "ci_default_git_depth": 5,
    "keep_latest_artifact": False,
    "ci_separated_caches": False,
    "ci_pipeline_variables_minimum_override_role": "maintainer",
    "ci_push_repository_for_job_token_allowed": True,
}


def test_read_by_id_and_by_url_encoded_path(sandbox):
    """REFERENCE 0.1 and 1.2: numeric id or URL-encoded full path."""
    by_path = sandbox.api.get("/projects/platform%2Flibs%2Fcommon-utils").json()
    by_id = sandbox.api.get(f"/projects/{by_path['id']}").json()
    assert by_id["path_with_namespace"] == "platform/libs/common-utils"
    assert by_id == by_path
    assert by_id["namespace"]["full_path"] == "platform/libs"
    assert by_id["web_url"] == f"{sandbox.url}/platform/libs/common-utils"


def test_create_ignores_update_only_ci_attributes_then_put_applies_them(sandbox):
    """REFERENCE 2.1: ✗-on-create attributes are silently ignored by POST; PUT applies them."""
    group = sandbox.api.get("/groups/platform").json()
    created = sandbox.api.post(
        "/projects",
        json={"name": "fresh", "namespace_id": group["id"], "build_timeout": 900, **CREATE_IGNORED},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["build_timeout"] == 900  # ✓ on create
    assert body["ci_default_git_depth"] == 20
    assert body["keep_latest_artifact"] is True
    assert body["ci_pipeline_variables_minimum_override_role"] == "no_one_allowed"
    updated = sandbox.api.put(f"/projects/{body['id']}", json=CREATE_IGNORED).json()
    for key, value in CREATE_IGNORED.items():
        assert updated[key] == value


def test_python_gitlab_create_and_save(sandbox):
    """REFERENCE 2.1: create with python-gitlab, then save an update."""
    gl = sandbox.gl()
    group = gl.groups.get("data")
    project = gl.projects.create({"name": "Etl Jobs", "namespace_id": group.id})
    assert project.path == "etl-jobs" and project.empty_repo is True and project.default_branch is None
    project.auto_cancel_pending_pipelines = "disabled"
    project.save()
    assert gl.projects.get("data/etl-jobs").auto_cancel_pending_pipelines == "disabled"


def test_duplicate_path_is_400_with_validation_body(sandbox):
    """REFERENCE 1.3 and 1.4: a duplicate project is 400, not 409."""
    group_id = sandbox.api.get("/groups/platform").json()["id"]
    response = sandbox.api.post(
        "/projects", json={"name": "billing", "path": "billing", "namespace_id": group_id}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": {
            "name": ["has already been taken"],
            "path": ["has already been taken"],
            "project_namespace.name": ["has already been taken"],
        }
    }


def test_name_or_path_is_required(sandbox):
    """REFERENCE 1.3: Grape at_least_one_of."""
    response = sandbox.api.post("/projects", json={"description": "x"})
    assert response.status_code == 400
    assert response.json() == {"error": "name, path are missing, at least one parameter must be provided"}


def test_put_with_only_unknown_attributes_fails_at_least_one_of(sandbox):
    """REFERENCE 0.4 and 1.5: unknown attributes are dropped; nothing known left gives 400."""
    response = sandbox.api.put("/projects/platform%2Fbilling", json={"no_such_setting": True})
    assert response.status_code == 400
    assert response.json()["error"].endswith("are missing, at least one parameter must be provided")
    mixed = sandbox.api.put(
        "/projects/platform%2Fbilling", json={"no_such_setting": True, "build_timeout": 1200}
    )
    assert mixed.status_code == 200 and "no_such_setting" not in mixed.json()


def test_build_timeout_bounds(sandbox):
    """REFERENCE 2.1: 600 <= build_timeout < 1 month."""
    response = sandbox.api.put("/projects/platform%2Fbilling", json={"build_timeout": 300})
    assert response.status_code == 400
    assert response.json() == {"message": {"build_timeout": ["needs to be between 10 minutes and 1 month"]}}


def test_bad_enum_and_bad_type_are_grape_errors(sandbox):
    """REFERENCE 1.5: enum mismatch and coercion failure."""
    enum = sandbox.api.put("/projects/platform%2Fbilling", json={"auto_cancel_pending_pipelines": "maybe"})
    assert enum.json() == {"error": "auto_cancel_pending_pipelines does not have a valid value"}
    typed = sandbox.api.put("/projects/platform%2Fbilling", json={"build_timeout": "soon"})
    assert typed.status_code == 400 and typed.json() == {"error": "build_timeout is invalid"}


def test_form_encoded_parameters_and_comma_lists(sandbox):
    """REFERENCE 1.5: parameters in a form body; topics as a comma-separated string."""
    response = sandbox.api.put(
        "/projects/platform%2Fbilling", data={"shared_runners_enabled": "false", "topics": "python,billing"}
    )
    assert response.status_code == 200
    assert response.json()["shared_runners_enabled"] is False
    assert response.json()["topics"] == ["python", "billing"]


def test_container_expiration_policy_written_and_read_under_different_keys(sandbox):
    """REFERENCE 2.1: container_expiration_policy_attributes in, container_expiration_policy out."""
    response = sandbox.api.put(
        "/projects/platform%2Fauth-service",
        json={"container_expiration_policy_attributes": {"enabled": True, "cadence": "7d", "keep_n": 5}},
    )
    body = response.json()
    assert "container_expiration_policy_attributes" not in body
    policy = body["container_expiration_policy"]
    assert policy["enabled"] is True and policy["cadence"] == "7d" and policy["keep_n"] == 5
    assert policy["older_than"] == "90d"  # untouched keys keep their values
    assert policy["name_regex_delete"] == policy["name_regex"]
    assert "next_run_at" in policy
    bad = sandbox.api.put(
        "/projects/platform%2Fauth-service", data={"container_expiration_policy_attributes[cadence]": "2d"}
    )
    assert bad.status_code == 400
    assert bad.json() == {"message": {"container_expiration_policy.cadence": ["is not included in the list"]}}


def test_admin_project_fields_are_omitted_below_maintainer(sandbox):
    """REFERENCE 0.7 and 2.1 "Visible to": CI fields need admin_project."""
    as_admin = sandbox.api.get("/projects/data%2Freports").json()
    as_reporter = sandbox.as_user(RITA_TOKEN).get("/projects/data%2Freports").json()
    for key in ("build_timeout", "ci_default_git_depth", "auto_cancel_pending_pipelines", "runners_token"):
        assert key in as_admin
        assert key not in as_reporter
    assert as_reporter["shared_runners_enabled"] == as_admin["shared_runners_enabled"]
    assert as_reporter["ci_config_path"] is None and "ci_config_path" in as_reporter  # read_code
    assert as_reporter["permissions"]["group_access"]["access_level"] == 20


def test_package_registry_access_level_exists_only_from_17_10(sandbox):
    """[G:doc/api/projects.md]: `packages_enabled` deprecated in 17.10 for `package_registry_access_level`
    (gitlab-org/gitlab!170122, values disabled, private, enabled, public). REFERENCE 2.1 said 18.5."""
    assert (
        sandbox.api.get("/projects/data%2Fml-pipeline").json()["package_registry_access_level"] == "disabled"
    )
    sandbox.admin.post("/-/sandbox/version", json={"version": "17.9.3-ee"})
    old = sandbox.api.get("/projects/data%2Fml-pipeline").json()
    assert "package_registry_access_level" not in old
    assert old["packages_enabled"] is False
    ignored = sandbox.api.put(
        "/projects/data%2Fml-pipeline", json={"package_registry_access_level": "enabled"}
    )
    assert ignored.status_code == 400  # the only attribute sent is unknown to this version
    assert ignored.json()["error"].endswith("are missing, at least one parameter must be provided")
    sandbox.admin.post("/-/sandbox/version", json={"version": "17.10.0-ee"})
    public = sandbox.api.put("/projects/data%2Fml-pipeline", json={"package_registry_access_level": "public"})
    assert public.json()["package_registry_access_level"] == "public"
    bad = sandbox.api.put("/projects/data%2Fml-pipeline", json={"package_registry_access_level": "everyone"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "package_registry_access_level does not have a valid value"}


def test_deprecated_booleans_map_onto_access_levels(sandbox):
    """REFERENCE 2.1: container_registry_enabled maps onto container_registry_access_level."""
    body = sandbox.api.put("/projects/platform%2Fbilling", json={"container_registry_enabled": False}).json()
    assert body["container_registry_access_level"] == "disabled"
    assert body["container_registry_enabled"] is False


def test_initialize_with_readme_commits_and_protects_the_default_branch(sandbox):
    """REFERENCE 2.1 quirks: a README commit and a protected default branch; then POST is 409."""
    group_id = sandbox.api.get("/groups/data").json()["id"]
    body = sandbox.api.post(
        "/projects",
        json={
            "path": "svc",
            "namespace_id": group_id,
            "initialize_with_readme": True,
            "default_branch": "trunk",
        },
    ).json()
    assert body["default_branch"] == "trunk" and body["empty_repo"] is False
    readme = sandbox.api.get(f"/projects/{body['id']}/repository/files/README.md?ref=trunk")
    assert readme.status_code == 200
    again = sandbox.api.post(f"/projects/{body['id']}/protected_branches", json={"name": "trunk"})
    assert again.status_code == 409
    assert again.json() == {"message": "Protected branch 'trunk' already exists"}


def test_default_branch_is_ignored_without_readme(sandbox):
    """REFERENCE 2.1: default_branch is only honoured with initialize_with_readme."""
    group_id = sandbox.api.get("/groups/data").json()["id"]
    body = sandbox.api.post(
        "/projects", json={"path": "bare", "namespace_id": group_id, "default_branch": "trunk"}
    ).json()
    assert body["default_branch"] is None and body["empty_repo"] is True


def test_delete_is_202_accepted_and_needs_owner(sandbox, dana):
    """REFERENCE 0.6 and 2.1: DELETE /projects/:id answers 202 {"message":"202 Accepted"}."""
    assert dana.delete("/projects/platform%2Fbilling").status_code == 403
    response = sandbox.api.delete("/projects/platform%2Fbilling")
    assert response.status_code == 202
    assert response.json() == {"message": "202 Accepted"}
    assert sandbox.api.get("/projects/platform%2Fbilling").status_code == 404


def test_moved_project_redirects_gets_and_refuses_writes(sandbox):
    """REFERENCE 1.2: old path: GET 301 to the id, other methods 405."""
    sandbox.api.put("/projects/data%2Flegacy-etl", json={"path": "etl-legacy"})
    moved = sandbox.api.get("/projects/data%2Flegacy-etl", allow_redirects=False)
    project_id = sandbox.api.get("/projects/data%2Fetl-legacy").json()["id"]
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/api/v4/projects/{project_id}")
    write = sandbox.api.put("/projects/data%2Flegacy-etl", json={"description": "x"})
    assert write.status_code == 405
    assert write.json() == {"message": "Non GET methods are not allowed for moved projects"}


def test_developer_cannot_change_settings(sandbox):
    """REFERENCE 2.1: PUT needs admin_project (Maintainer)."""
    with pytest.raises(gitlab.GitlabUpdateError) as caught:
        project = sandbox.gl(DANA_TOKEN).projects.get("platform/billing")
        project.build_timeout = 1200
        project.save()
    assert caught.value.response_code == 403


def test_visibility_cannot_exceed_the_group(sandbox):
    """REFERENCE 2.1: visibility cannot exceed the namespace's visibility (guessed wording)."""
    response = sandbox.api.put("/projects/platform%2Fbilling", json={"visibility": "public"})
    assert response.status_code == 400
    assert "visibility_level" in response.json()["message"]


def test_share_with_group_and_duplicate_share(sandbox):
    """REFERENCE 2.1: POST /projects/:id/share, duplicate 409."""
    data_id = sandbox.api.get("/groups/data").json()["id"]
    first = sandbox.api.post(
        "/projects/platform%2Fbilling/share", json={"group_id": data_id, "group_access": 30}
    )
    assert first.status_code == 201
    second = sandbox.api.post(
        "/projects/platform%2Fbilling/share", json={"group_id": data_id, "group_access": 30}
    )
    assert second.status_code == 409
    assert second.json() == {"message": "Group already shared with this group"}
    shared = sandbox.api.get("/projects/platform%2Fbilling").json()["shared_with_groups"]
    assert shared[0]["group_full_path"] == "data" and shared[0]["group_access_level"] == 30
    assert sandbox.api.delete(f"/projects/platform%2Fbilling/share/{data_id}").status_code == 204
