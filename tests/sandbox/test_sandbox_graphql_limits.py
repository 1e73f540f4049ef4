"""GitLab's GraphQL limits: depth and complexity per caller, the 20 MB cap on blob data, the 30 s
timeout with the time each project and file costs."""

from __future__ import annotations

import time

from provisioner.sandbox.world import commit_files

NEST = "runners(first: 1) {{ nodes {{ ownerProject {{ {} }} }} }}"


def _deep_query(levels: int) -> str:
    inner = "fullPath"
    for _ in range(levels):
        inner = NEST.format(inner)
    return '{ project(fullPath: "data/warehouse") { ' + inner + " } }"


def test_depth_is_limited_to_20_with_a_token_and_15_without(sandbox):
    """AUTHENTICATED_MAX_DEPTH 20, DEFAULT_MAX_DEPTH 15 [G:app/graphql/gitlab_schema.rb]; graphql-ruby's
    words, and every limit exceeded is reported."""
    assert "errors" not in sandbox.graphql(_deep_query(6))  # depth 20
    refused = sandbox.graphql(_deep_query(7))
    assert "data" not in refused
    assert refused["errors"][0]["message"] == "Query has depth of 23, which exceeds max depth of 20"
    anonymous = sandbox.graphql(_deep_query(5), token=None)
    assert anonymous["errors"][0]["message"] == "Query has depth of 17, which exceeds max depth of 15"


def _big_files(sandbox, size):
    state = sandbox.state
    project = state.projects[state.paths["data/reports"]]
    root = state.users[1]
    commit_files(state, project, root, "main", "big", {"a.txt": "a" * size, "b.txt": "b" * size})


BLOBS = '{ project(fullPath: "data/reports") { repository { blobs(paths: %s) { nodes { path %s } } } } }'


def test_blob_data_over_20_mb_is_refused_for_more_than_one_path(sandbox):
    """BlobsResolver: with more than one path and a data field asked, over 20 MB in all is an
    ArgumentError on `blobs` (null, the error beside it) [G:app/graphql/resolvers/blobs_resolver.rb]."""
    _big_files(sandbox, 11 * 1024 * 1024)
    refused = sandbox.graphql(BLOBS % ('["a.txt", "b.txt"]', "rawTextBlob"))
    assert refused["data"] == {"project": {"repository": {"blobs": None}}}
    (error,) = refused["errors"]
    assert error["message"] == "Max blobs size limit exceeded (22 MB / 20 MB)."
    assert error["path"] == ["project", "repository", "blobs"]
    one = sandbox.graphql(BLOBS % ('["a.txt"]', "size"))
    assert one["data"]["project"]["repository"]["blobs"]["nodes"] == [
        {"path": "a.txt", "size": 11 * 1024 * 1024}
    ]
    sizes_only = sandbox.graphql(BLOBS % ('["a.txt", "b.txt"]', "size"))
    assert "errors" not in sizes_only
    sandbox.serve_version("18.4.4")  # before the cap (18.4.5; provisioner/gitlab_versions.py)
    assert "errors" not in sandbox.graphql(BLOBS % ('["a.txt", "b.txt"]', "size rawTextBlob"))


def test_a_query_that_runs_out_of_time_answers_what_it_resolved(sandbox):
    """GitLab stops resolving fields after the timeout: later fields are null with `Timeout on
    Type.field`, the rest of `data` stays, HTTP 200 [G:lib/gitlab/graphql/timeout.rb,
    spec/lib/gitlab/graphql/timeout_spec.rb]."""
    sandbox.graphql_cost(ms_per_project=400, timeout_seconds=1)
    paths = ["data/reports", "data/warehouse", "data/ingest", "platform/billing"]
    started = time.perf_counter()
    body = sandbox.graphql(
        "query($p: [String!]) { projects(fullPaths: $p) { nodes { fullPath } } }", {"p": paths}
    )
    elapsed = time.perf_counter() - started
    nodes = body["data"]["projects"]["nodes"]
    assert [n is not None for n in nodes] == [True, True, False, False]
    assert {e["message"] for e in body["errors"]} == {"Timeout on Project.fullPath"}
    assert sorted(e["path"][2] for e in body["errors"]) == [2, 3]
    assert elapsed >= 0.9  # the client waited for the time charged (at most the timeout)


def test_each_file_asked_costs_time_too(sandbox):
    sandbox.graphql_cost(ms_per_blob=300, timeout_seconds=0.5)
    body = sandbox.graphql(BLOBS % ('["README.md", "x", "y"]', "path"))
    assert body["errors"][0]["message"].startswith("Timeout on ")
