"""Project CI/CD variables: every field, scopes, masking, hidden values, conflicts."""

from __future__ import annotations

import gitlab
import pytest

REPORTS = "/projects/data%2Freports/variables"


def test_variable_json_has_every_field(sandbox):
    """REFERENCE 2.3: the Variable entity."""
    body = sandbox.api.post(
        "/projects/platform%2Fbilling/variables",
        json={
            "key": "CONFIG",
            "value": "a: 1\n",
            "variable_type": "file",
            "protected": True,
            "raw": True,
            "environment_scope": "review/*",
            "description": "settings file",
        },
    ).json()
    assert body == {
        "variable_type": "file",
        "key": "CONFIG",
        "value": "a: 1\n",
        "protected": True,
        "masked": False,
        "hidden": False,
        "raw": True,
        "environment_scope": "review/*",
        "description": "settings file",
    }


def test_hidden_variable_reads_back_value_null(sandbox):
    """REFERENCE 2.3: masked_and_hidden gives masked+hidden and value null on every read."""
    created = sandbox.api.post(
        REPORTS, json={"key": "SECRET", "value": "abcdefgh1234", "masked_and_hidden": True}
    )
    assert created.status_code == 201
    assert created.json()["value"] is None and created.json()["hidden"] is True and created.json()["masked"]
    assert sandbox.api.get(f"{REPORTS}/SECRET").json()["value"] is None
    seeded = sandbox.api.get(f"{REPORTS}/DB_PASSWORD").json()
    assert seeded["value"] is None and seeded["hidden"] is True


def test_masked_value_must_follow_the_masking_rules(sandbox):
    """REFERENCE 2.3: a value that cannot be masked is 400 {"message":{"value":["is invalid"]}}."""
    for value in ("short", "has spaces in it", "two\nlines here"):
        response = sandbox.api.post(REPORTS, json={"key": "M", "value": value, "masked": True})
        assert response.status_code == 400
        assert response.json() == {"message": {"value": ["is invalid"]}}


@pytest.mark.parametrize("raw", [False, True])
@pytest.mark.parametrize("value", ["line_one\nline_two", "abcdefgh1234\n"])
def test_a_masked_value_is_one_line(sandbox, value, raw):
    """REFERENCE 2.3: single line. Every character but the newline is maskable, and `\\z` (not `$`) ends
    the rule, so a trailing newline fails too; raw values' relaxed rule `\\A\\S{8,}\\z` refuses newlines
    as well [G:app/models/concerns/ci/maskable.rb]."""
    assert sandbox.api.post(REPORTS, json={"key": "M", "value": value.replace("\n", ""), "masked": True}).ok
    assert sandbox.api.delete(f"{REPORTS}/M").status_code == 204
    response = sandbox.api.post(REPORTS, json={"key": "M", "value": value, "masked": True, "raw": raw})
    assert response.status_code == 400
    assert response.json() == {"message": {"value": ["is invalid"]}}


def test_duplicate_key_in_the_same_scope_is_400(sandbox):
    """REFERENCE 2.3: uniqueness scoped to environment_scope."""
    response = sandbox.api.post(REPORTS, json={"key": "REPORTS_API_KEY", "value": "x"})
    assert response.status_code == 400
    assert response.json() == {"message": {"key": ["(REPORTS_API_KEY) has already been taken"]}}
    other_scope = sandbox.api.post(
        REPORTS, json={"key": "REPORTS_API_KEY", "value": "x", "environment_scope": "production"}
    )
    assert other_scope.status_code == 201


def test_multiple_scopes_need_the_filter(sandbox):
    """REFERENCE 2.3: 409 without filter[environment_scope]; the filter picks one."""
    message = "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"
    for method in ("GET", "PUT", "DELETE"):
        response = sandbox.api.request(method, f"{REPORTS}/DEPLOY_TARGET", json={"value": "x"})
        assert response.status_code == 409
        assert response.json() == {"message": message}
    staging = sandbox.api.get(f"{REPORTS}/DEPLOY_TARGET?filter[environment_scope]=staging").json()
    assert staging["value"] == "staging-cluster"
    updated = sandbox.api.put(
        f"{REPORTS}/DEPLOY_TARGET",
        params={"filter[environment_scope]": "production"},
        json={"value": "prod-2"},
    )
    assert updated.json()["value"] == "prod-2" and updated.json()["environment_scope"] == "production"


def test_missing_variable_is_404(sandbox):
    """REFERENCE 2.3: unknown key (wording unverified)."""
    response = sandbox.api.get(f"{REPORTS}/NOPE")
    assert response.status_code == 404
    assert response.json() == {"message": "404 Variable Not Found"}


def test_python_gitlab_variables_with_filter(sandbox):
    """REFERENCE 2.3: python-gitlab flattens filter={"environment_scope": ...}."""
    project = sandbox.gl().projects.get("data/reports")
    variable = project.variables.get("DEPLOY_TARGET", filter={"environment_scope": "staging"})
    assert variable.value == "staging-cluster"
    project.variables.update("DEPLOY_TARGET", {"value": "stg-2"}, filter={"environment_scope": "staging"})
    again = project.variables.get("DEPLOY_TARGET", filter={"environment_scope": "staging"})
    assert again.value == "stg-2"
    project.variables.delete("DEPLOY_TARGET", filter={"environment_scope": "staging"})
    assert project.variables.get("DEPLOY_TARGET").environment_scope == "production"
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.variables.create({"key": "bad key", "value": "v"})
    assert caught.value.response_code == 400


def test_update_keeps_unsent_fields_and_hidden_stays_masked(sandbox):
    """REFERENCE 2.3: update attributes; a hidden variable cannot be unmasked (guessed wording)."""
    updated = sandbox.api.put(f"{REPORTS}/REPORTS_API_KEY", json={"description": "billing key"}).json()
    assert updated["masked"] is True and updated["value"] == "rk_4f9a8b7c6d5e"
    refused = sandbox.api.put(f"{REPORTS}/DB_PASSWORD", json={"masked": False})
    assert refused.status_code == 400
    rotated = sandbox.api.put(f"{REPORTS}/DB_PASSWORD", json={"value": "New-value-2025"})
    assert rotated.status_code == 200 and rotated.json()["value"] is None


def test_masked_and_hidden_is_create_only(sandbox):
    """REFERENCE 2.3: update attributes are the create ones minus masked_and_hidden."""
    response = sandbox.api.put(
        f"{REPORTS}/REPORTS_API_KEY", json={"masked_and_hidden": True, "value": "zzzzzzzz"}
    )
    assert response.json()["hidden"] is False


def test_group_variables_need_the_owner_role(sandbox):
    """[G:lib/api/group_variables.rb] `authorize! :admin_cicd_variables, user_group`, which GroupPolicy
    enables for Owners [G:app/policies/group_policy.rb]: a Maintainer of the group gets 403."""
    user_id, token = sandbox.user_with_token("gwen")
    sandbox.add_member("groups", "data", user_id, 40)
    assert sandbox.as_user(token).get("/groups/data/variables").status_code == 403
    sandbox.add_member("groups", "platform", user_id, 50)
    assert sandbox.as_user(token).get("/groups/platform/variables").status_code == 200
