"""Conformance of the sandbox's GraphQL API with GitLab's (REFERENCE 3; GitLab's types and resolvers
named in provisioner/sandbox/routes/graphql_schema.py)."""

from __future__ import annotations

import hashlib

import pytest
import requests

from provisioner.sandbox import SandboxServer
from provisioner.sandbox.routes import graphql as graphql_route
from provisioner.sandbox.seed import seed_projects
from tests.scale.conftest import RITA_TOKEN, counters, graphql, reset_counters

PROJECT = "query($path: ID!) { project(fullPath: $path) { %s } }"


def test_a_bad_token_is_401_with_graphql_errors(sandbox: SandboxServer) -> None:
    """REFERENCE 3: a bad token gives 401 {"errors":[{"message":"Invalid token"}]}."""
    response = graphql(sandbox, "{ currentUser { username } }", token="glpat-not-a-token")
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Invalid token"}]}


def test_read_api_is_enough_and_no_token_reads_public_data_only(sandbox: SandboxServer) -> None:
    response = graphql(sandbox, "{ currentUser { username } }", token=RITA_TOKEN)
    assert response.status_code == 200
    assert response.json() == {"data": {"currentUser": {"username": "rita"}}}
    anonymous = requests.post(
        f"{sandbox.url}/api/graphql",
        json={"query": PROJECT % "fullPath", "variables": {"path": "data/reports"}},
    )
    assert anonymous.json() == {"data": {"project": None}}  # private: invisible, not an error


def test_errors_are_http_200_with_an_errors_array(sandbox: SandboxServer) -> None:
    """REFERENCE 3: errors other than authentication come back as HTTP 200; unknown fields are
    reported in graphql-ruby's words."""
    response = graphql(sandbox, PROJECT % "nope", {"path": "data/reports"})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == "Field 'nope' doesn't exist on type 'Project'"
    assert "data" not in response.json()


def test_full_paths_are_capped_at_50(sandbox: SandboxServer) -> None:
    """ProjectsResolver: 'You cannot provide more than 50 full_paths' (the REFERENCE's guess, verified
    in app/graphql/resolvers/projects_resolver.rb)."""
    paths = [f"data/p{i}" for i in range(51)]
    response = graphql(sandbox, "query($p: [String!]) { projects(fullPaths: $p) { count } }", {"p": paths})
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"projects": None}
    assert body["errors"][0]["message"] == "You cannot provide more than 50 full_paths"
    assert body["errors"][0]["path"] == ["projects"]


def test_pages_hold_at_most_100_nodes_and_cursors_go_on(sandbox: SandboxServer) -> None:
    seed_projects(sandbox.state, 120, group="many")
    query = """query($after: String) { group(fullPath: "many") {
        projects(includeSubgroups: true, first: 500, after: $after) {
          count pageInfo { hasNextPage endCursor } nodes { fullPath } } } }"""
    first = graphql(sandbox, query).json()["data"]["group"]["projects"]
    assert (first["count"], len(first["nodes"]), first["pageInfo"]["hasNextPage"]) == (120, 100, True)
    rest = graphql(sandbox, query, {"after": first["pageInfo"]["endCursor"]}).json()["data"]["group"][
        "projects"
    ]
    assert (len(rest["nodes"]), rest["pageInfo"]["hasNextPage"]) == (20, False)
    names = {n["fullPath"] for n in first["nodes"] + rest["nodes"]}
    assert len(names) == 120


def test_variables_hide_hidden_values_and_are_null_without_permission(sandbox: SandboxServer) -> None:
    """CiProjectVariable.value is null for hidden variables; ciVariables and ciCdSettings need
    Maintainer and resolve to null without an error below it (REFERENCE 3)."""
    query = (
        PROJECT
        % "ciCdSettings { inboundJobTokenScopeEnabled } ciVariables { nodes { key value hidden masked environmentScope variableType } }"
    )
    body = graphql(sandbox, query, {"path": "data/reports"}).json()
    variables = {
        (v["key"], v["environmentScope"]): v for v in body["data"]["project"]["ciVariables"]["nodes"]
    }
    assert variables[("DB_PASSWORD", "*")]["value"] is None
    assert variables[("DB_PASSWORD", "*")]["hidden"] is True
    assert variables[("REPORTS_API_KEY", "*")]["value"] == "rk_4f9a8b7c6d5e"
    assert variables[("DEPLOY_TARGET", "staging")]["variableType"] == "ENV_VAR"
    as_reporter = graphql(sandbox, query, {"path": "data/reports"}, token=RITA_TOKEN).json()
    assert as_reporter == {"data": {"project": {"ciCdSettings": None, "ciVariables": None}}}


def test_runners_and_job_token_scope_refuse_with_an_error_below_maintainer(sandbox: SandboxServer) -> None:
    """Resolvers that call authorize! (job token scope) or whose finder refuses (runners) add an error
    with its path, and the field is null."""
    query = PROJECT % "fullPath runners { nodes { id } } ciJobTokenScope { inboundAllowlistCount }"
    body = graphql(sandbox, query, {"path": "data/warehouse"}, token=RITA_TOKEN).json()
    assert body["data"]["project"] == {"fullPath": "data/warehouse", "runners": None, "ciJobTokenScope": None}
    assert sorted(tuple(e["path"]) for e in body["errors"]) == [
        ("project", "ciJobTokenScope"),
        ("project", "runners"),
    ]


def test_runner_and_branch_rule_fields(sandbox: SandboxServer) -> None:
    query = PROJECT % (
        "runners(type: PROJECT_TYPE) { nodes { description runnerType tagList accessLevel ownerProject { fullPath } } } "
        "branchRules { nodes { name isDefault branchProtection { allowForcePush "
        "pushAccessLevels { nodes { accessLevel accessLevelDescription } } } } }"
    )
    project = graphql(sandbox, query, {"path": "platform/payments"}).json()["data"]["project"]
    assert project["runners"]["nodes"] == []
    (rule,) = project["branchRules"]["nodes"]
    assert rule["name"] == "main" and rule["isDefault"] is True
    assert rule["branchProtection"]["pushAccessLevels"]["nodes"] == [
        {"accessLevel": 0, "accessLevelDescription": "No one"}
    ]
    billing = graphql(sandbox, query, {"path": "platform/billing"}).json()["data"]["project"]
    (runner,) = billing["runners"]["nodes"]
    assert runner == {
        "description": "platform-docker",
        "runnerType": "PROJECT_TYPE",
        "tagList": ["docker", "python"],
        "accessLevel": "NOT_PROTECTED",
        "ownerProject": {"fullPath": "platform/billing"},
    }


def test_blobs_of_many_paths_with_git_blob_ids(sandbox: SandboxServer) -> None:
    """Repository.blobs(paths:, ref:): paths missing at the ref are left out; `oid` is the git blob id;
    an empty repository answers no blobs [G:app/graphql/resolvers/blobs_resolver.rb]."""
    query = (
        PROJECT
        % 'repository { blobs(paths: ["pyproject.toml", ".gitlab-ci.yml", "missing.txt"]) { nodes { path oid size rawTextBlob } } }'
    )
    nodes = graphql(sandbox, query, {"path": "platform/libs/common-utils"}).json()["data"]["project"][
        "repository"
    ]["blobs"]["nodes"]
    assert [n["path"] for n in nodes] == ["pyproject.toml", ".gitlab-ci.yml"]
    for node in nodes:
        data = node["rawTextBlob"].encode()
        assert node["size"] == len(data)
        assert node["oid"] == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    empty = graphql(sandbox, query, {"path": "data/ingest"}).json()["data"]["project"]["repository"]["blobs"]
    assert empty["nodes"] == []


def test_complexity_is_reported_and_limited(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitLab's limit is 300 for an administrator, 250 with another token, 200 without
    [G:app/graphql/gitlab_schema.rb `max_query_complexity`]; `queryComplexity { score limit }` shows it."""
    query = '{ queryComplexity { score limit } project(fullPath: "data/reports") { ciVariables(first: 100) { nodes { key } } } }'
    body = graphql(sandbox, query).json()
    # ciVariables: (nodes 1 + key 1 + resolver 1) x (1 + 0.01 x 100) = 6; project 1 + 6; queryComplexity 3
    assert body["data"]["queryComplexity"] == {"score": 10, "limit": 300}
    assert graphql(sandbox, query, token=RITA_TOKEN).json()["data"]["queryComplexity"]["limit"] == 250
    anonymous = requests.post(f"{sandbox.url}/api/graphql", json={"query": query}, timeout=10).json()
    assert anonymous["data"]["queryComplexity"]["limit"] == 200
    monkeypatch.setattr(graphql_route, "MAX_COMPLEXITY_ADMIN", 9)
    refused = graphql(sandbox, query).json()
    assert refused == {
        "errors": [{"message": "Query has complexity of 10, which exceeds max complexity of 9"}]
    }


def test_queries_count_as_reads(sandbox: SandboxServer) -> None:
    reset_counters(sandbox)
    graphql(sandbox, PROJECT % "fullPath", {"path": "data/reports"})
    seen = counters(sandbox)
    assert (seen["total"], seen["writes"]) == (1, 0)
    assert seen["by_route"] == {"POST /api/graphql": 1}
