"""The sandbox serves a chosen GitLab version and edition (provisioner/gitlab_versions.py): what the
version lacks is absent or refused as GitLab does, in REST (unknown attribute: dropped; unknown route:
404; unknown value: 400) and in GraphQL (an unknown field fails the whole query)."""

from __future__ import annotations

from provisioner.sandbox.seed import DANA_TOKEN

VARIABLES = '{ project(fullPath: "data/reports") { ciVariables { nodes { key hidden } } } }'
PACKAGE_RULES = "/projects/data%2Freports/packages/protection/rules"
CONTAINER_RULES = "/projects/data%2Freports/registry/protection/repository/rules"


def test_version_and_edition_as_gitlab_answers_them(gitlab_at):
    """GitLab's /version: `-ee` for the Enterprise Edition, no suffix for the Community Edition
    [G:VERSION, lib/api/version.rb]."""
    ce = gitlab_at("17.4", edition="ce", seed="empty")
    body = ce.api.get("/version").json()
    assert (body["version"], body["enterprise"]) == ("17.4.0", False)
    ee = gitlab_at("18.0")
    assert ee.api.get("/version").json()["version"] == "18.0.0-ee"
    ee.serve_version("17.10.2", "ce")
    assert ee.gl().version()[0] == "17.10.2"


def test_routes_a_version_lacks_are_404_and_flagged_ones_say_so(sandbox):
    """Package protection rules: 17.1 behind `packages_protected_packages`, GA 17.6 [G:doc/api/
    project_packages_protection_rules.md]; the API answers 404 naming the flag while it is off
    [G:lib/api/project_packages_protection_rules.rb `after_validation`]. Container rules: flag from
    17.2, GA 17.8 [G:doc/api/container_repository_protection_rules.md]."""
    assert sandbox.api.get(PACKAGE_RULES).status_code == 200
    sandbox.serve_version("17.0")
    absent = sandbox.api.get(PACKAGE_RULES)
    assert (absent.status_code, absent.json()) == (404, {"error": "404 Not Found"})
    sandbox.serve_version("17.4")
    flagged = sandbox.api.get(PACKAGE_RULES)
    assert flagged.status_code == 404
    assert flagged.json() == {"message": "'packages_protected_packages' feature flag is disabled"}
    assert sandbox.api.post(CONTAINER_RULES, json={}).json() == {
        "message": "'container_registry_protected_containers' feature flag is disabled"
    }
    sandbox.serve_version("17.8")
    assert sandbox.api.get(CONTAINER_RULES).status_code == 200


def test_variables_before_17_4_have_no_hidden_and_ignore_masked_and_hidden(sandbox):
    """`masked_and_hidden` and `hidden` introduced in 17.4 [G:doc/api/project_level_variables.md]: an
    older GitLab does not declare the parameter, so Grape drops it and the value stays readable."""
    sandbox.serve_version("17.0")
    created = sandbox.api.post(
        "/projects/data%2Freports/variables",
        json={"key": "SECRET", "value": "s3cr3t-value", "masked": True, "masked_and_hidden": True},
    )
    assert created.status_code == 201
    assert "hidden" not in created.json() and created.json()["value"] == "s3cr3t-value"
    listed = sandbox.api.get("/projects/data%2Freports/variables").json()
    assert all("hidden" not in v for v in listed)


def test_package_rule_delete_level_only_from_17_11(sandbox):
    """`minimum_access_level_for_delete` added to the REST API in 17.11 [G:doc/api/
    project_packages_protection_rules.md]: before, neither shown nor taken."""
    rule = {
        "package_name_pattern": "@data/*",
        "package_type": "npm",
        "minimum_access_level_for_push": "owner",
    }
    sandbox.serve_version("17.10")
    old = sandbox.api.post(PACKAGE_RULES, json=rule | {"minimum_access_level_for_delete": "admin"})
    assert old.status_code == 201 and "minimum_access_level_for_delete" not in old.json()
    sandbox.serve_version("17.11")
    (listed,) = sandbox.api.get(PACKAGE_RULES).json()
    assert listed["minimum_access_level_for_delete"] is None  # never taken


def test_project_attributes_a_version_lacks_are_dropped(sandbox):
    """An attribute the version does not declare is dropped without an error, like any unknown
    attribute (REFERENCE 1.5); `ci_id_token_sub_claim_components` came in 17.10 [G:doc/api/projects.md]."""
    sandbox.serve_version("17.4")
    body = sandbox.api.put(
        "/projects/data%2Freports",
        json={"description": "kept", "ci_id_token_sub_claim_components": ["project_path"]},
    ).json()
    assert body["description"] == "kept"
    assert "ci_id_token_sub_claim_components" not in body
    sandbox.serve_version("18.0")
    shown = sandbox.api.get("/projects/data%2Freports").json()
    assert shown["ci_id_token_sub_claim_components"] == ["project_path", "ref_type", "ref"]


def test_the_community_edition_has_no_premium_protected_branch_options(sandbox):
    """`unprotect_access_level`, `allowed_to_*` and `code_owner_approval_required` are the Enterprise
    Edition's [G:ee/lib/ee/api/helpers/protected_branches_helpers.rb]: CE drops them and does not show
    them."""
    sandbox.serve_version("18.6", "ce")
    body = sandbox.api.post(
        "/projects/data%2Freports/protected_branches",
        json={
            "name": "release/*",
            "unprotect_access_level": 60,
            "allowed_to_push": [{"access_level": 30}],
            "code_owner_approval_required": True,
        },
    ).json()
    assert [a["access_level"] for a in body["push_access_levels"]] == [40]
    assert "unprotect_access_levels" not in body and "code_owner_approval_required" not in body
    sandbox.serve_version("18.6", "ee")
    shown = sandbox.api.get("/projects/data%2Freports/protected_branches/release%2F*").json()
    assert [a["access_level"] for a in shown["unprotect_access_levels"]] == [40]


def test_an_unknown_graphql_field_fails_the_whole_query(sandbox):
    """CiProjectVariable.hidden came with 17.4: on 17.0 the query is refused as a whole, no `data`
    [graphql-ruby validation, 'Field ... doesn't exist on type ...']."""
    assert "errors" not in sandbox.graphql(VARIABLES)
    sandbox.serve_version("17.0")
    body = sandbox.graphql(VARIABLES)
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"] == "Field 'hidden' doesn't exist on type 'CiProjectVariable'"
    assert error["path"] == ["query", "project", "ciVariables", "nodes", "hidden"]
    assert error["extensions"] == {
        "code": "undefinedField",
        "typeName": "CiProjectVariable",
        "fieldName": "hidden",
    }
    # groupsAllowlist came with 17.0 (job token group allowlist [G:doc/ci/jobs/ci_job_token.md]).
    scope = '{ project(fullPath: "data/reports") { ciJobTokenScope { groupsAllowlist { nodes { id } } } } }'
    assert "errors" not in sandbox.graphql(scope)


def test_the_package_rules_delete_level_field_came_with_17_10(sandbox):
    query = '{ project(fullPath: "data/reports") { packagesProtectionRules { nodes { minimumAccessLevelForDelete } } } }'
    sandbox.serve_version("17.4")
    assert sandbox.graphql(query)["errors"][0]["message"] == (
        "Field 'minimumAccessLevelForDelete' doesn't exist on type 'PackagesProtectionRule'"
    )
    sandbox.serve_version("17.10")
    assert sandbox.graphql(query) == {"data": {"project": {"packagesProtectionRules": {"nodes": []}}}}


def test_a_developer_still_gets_404_for_a_route_the_version_lacks(sandbox):
    sandbox.serve_version("17.0")
    response = sandbox.as_user(DANA_TOKEN).get(
        "/projects/platform%2Fbilling/job_token_scope/groups_allowlist"
    )
    assert response.status_code == 403  # the route exists in 17.0: GitLab's own refusal
