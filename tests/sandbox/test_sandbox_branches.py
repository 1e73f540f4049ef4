"""Creating branches as Branches::CreateService does [G:lib/api/branches.rb,
app/services/branches/create_service.rb, app/services/branches/validate_new_service.rb]."""

from __future__ import annotations

from provisioner.sandbox.seed import DANA_TOKEN

BRANCHES = "/projects/{}/repository/branches"


def test_a_branch_in_an_empty_repository_starts_from_a_new_readme(sandbox):
    """`create_default_branch if project.empty_repo?`: an empty README.md committed as "Add README.md" on
    the default branch, which the branch then starts from (and which its first push protects)."""
    created = sandbox.api.post(BRANCHES.format("data%2Fingest"), json={"branch": "develop", "ref": "main"})
    assert created.status_code == 201, created.text
    assert created.json()["commit"]["title"] == "Add README.md"
    project = sandbox.api.get("/projects/data%2Fingest").json()
    assert project["default_branch"] == "main" and project["empty_repo"] is False
    names = [b["name"] for b in sandbox.api.get(BRANCHES.format("data%2Fingest")).json()]
    assert names == ["develop", "main"]
    readme = sandbox.api.get("/projects/data%2Fingest/repository/files/README.md/raw?ref=main")
    assert readme.content == b""
    assert [r["name"] for r in sandbox.api.get("/projects/data%2Fingest/protected_branches").json()] == [
        "main"
    ]


def test_an_empty_repository_gets_its_readme_even_when_the_ref_is_bad(sandbox):
    """The README comes first; the ref is checked when the branch is created."""
    bad = sandbox.api.post(BRANCHES.format("data%2Fingest"), json={"branch": "develop", "ref": "nope"})
    assert bad.status_code == 400
    assert bad.json() == {"message": "Failed to create branch 'develop': invalid reference name 'nope'"}
    assert sandbox.api.get("/projects/data%2Fingest").json()["empty_repo"] is False


def test_refusals_in_gitlabs_words(sandbox):
    branches = BRANCHES.format("platform%2Fbilling")
    cases = [
        (
            {"branch": "x", "ref": "nope"},
            {"message": "Failed to create branch 'x': invalid reference name 'nope'"},
        ),
        ({"branch": "bad..name", "ref": "main"}, {"message": "Branch name is invalid"}),
        ({"branch": "HEAD", "ref": "main"}, {"message": "Branch name is invalid"}),
        ({"branch": "main", "ref": "main"}, {"message": "Branch already exists"}),
        ({"branch": "x", "ref": ""}, {"error": "ref is empty"}),
    ]
    for body, expected in cases:
        response = sandbox.api.post(branches, json=body)
        assert (response.status_code, response.json()) == (400, expected), body


def test_a_developer_may_not_create_a_protected_branch(sandbox):
    """Gitlab::Checks::BranchCheck: creating a branch a protection rule covers needs the right to push
    or merge to it (wording unverified)."""
    sandbox.api.post("/projects/platform%2Fbilling/protected_branches", json={"name": "release/*"})
    dana = sandbox.as_user(DANA_TOKEN)
    refused = dana.post(BRANCHES.format("platform%2Fbilling"), json={"branch": "release/1", "ref": "main"})
    assert refused.status_code == 400
    assert refused.json() == {"message": "You are not allowed to create protected branches on this project."}
    assert (
        dana.post(BRANCHES.format("platform%2Fbilling"), json={"branch": "topic", "ref": "main"}).status_code
        == 201
    )
