"""GraphQL `Project.mergeRequests`: MergeRequestsFinder with `sourceBranches`, `targetBranches` and
`state`, answering what the REST list does for the same filters [G:app/graphql/resolvers/
merge_requests_resolver.rb, app/graphql/types/merge_request_type.rb, lib/api/entities/
merge_request_basic.rb (`sha` is `diff_head_sha`)]."""

from __future__ import annotations

PAYMENTS = "platform%2Fpayments"
QUERY = (
    'query($b: [String!]) { project(fullPath: "platform/payments") { mergeRequests(state: opened, '
    "sourceBranches: $b) { pageInfo { hasNextPage } nodes { iid webUrl description diffHeadSha "
    "sourceBranch targetBranch } } } }"
)


def _open(sandbox, branch: str) -> dict:
    made = sandbox.api.post(
        f"/projects/{PAYMENTS}/repository/branches", json={"branch": branch, "ref": "main"}
    )
    assert made.status_code == 201, made.text
    mr = sandbox.api.post(
        f"/projects/{PAYMENTS}/merge_requests",
        json={
            "source_branch": branch,
            "target_branch": "main",
            "title": branch,
            "description": f"d {branch}",
        },
    )
    assert mr.status_code == 201, mr.text
    return dict(mr.json())


def test_open_merge_requests_from_the_named_branches_as_rest_lists_them(sandbox):
    ours, theirs, closed = _open(sandbox, "provisioner/x"), _open(sandbox, "feature"), _open(sandbox, "old")
    sandbox.api.put(f"/projects/{PAYMENTS}/merge_requests/{closed['iid']}", json={"state_event": "close"})

    found = sandbox.graphql(QUERY, {"b": ["provisioner/x", "old"]})["data"]["project"]["mergeRequests"]

    assert found["pageInfo"] == {"hasNextPage": False}
    (node,) = found["nodes"]  # neither the other branch's nor the closed one
    rest = sandbox.api.get(
        f"/projects/{PAYMENTS}/merge_requests",
        params={"state": "opened", "source_branch": "provisioner/x", "target_branch": "main"},
    ).json()[0]
    assert node == {
        "iid": str(rest["iid"]),
        "webUrl": rest["web_url"],
        "description": rest["description"],
        "diffHeadSha": rest["sha"],
        "sourceBranch": "provisioner/x",
        "targetBranch": "main",
    }
    assert rest["iid"] == ours["iid"] != theirs["iid"]
