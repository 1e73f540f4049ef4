"""Files, commits, branches, protected branches and tags, merge requests."""

from __future__ import annotations

import base64
import hashlib
import subprocess

import gitlab
import pytest

from provisioner.sandbox.seed import DANA_TOKEN, TEAM_PYPROJECT

UTILS = "/projects/platform%2Flibs%2Fcommon-utils"


def _git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def test_file_get_has_git_blob_id_sha256_and_last_commit(sandbox):
    """REFERENCE 2.10: GET file: blob_id, content_sha256, commit_id, last_commit_id."""
    body = sandbox.api.get(f"{UTILS}/repository/files/pyproject.toml?ref=main").json()
    content = TEAM_PYPROJECT.encode()
    assert base64.b64decode(body["content"]) == content
    assert body["blob_id"] == _git_blob_id(content)
    assert body["content_sha256"] == hashlib.sha256(content).hexdigest()
    assert (
        body["file_name"] == "pyproject.toml"
        and body["size"] == len(content)
        and body["encoding"] == "base64"
    )
    readme = sandbox.api.get(f"{UTILS}/repository/files/README.md?ref=main").json()
    assert readme["commit_id"] == body["commit_id"] == body["last_commit_id"]
    assert readme["last_commit_id"] != readme["commit_id"]  # README.md was last changed by the first commit


def test_blob_id_equals_git_hash_object(sandbox, tmp_path):
    """REFERENCE 2.10: blob ids are git's."""
    path = tmp_path / "f"
    path.write_bytes(TEAM_PYPROJECT.encode())
    try:
        expected = subprocess.run(
            ["git", "hash-object", str(path)], capture_output=True, text=True, check=True
        )
    except FileNotFoundError:
        pytest.skip("git is not installed")
    body = sandbox.api.get(f"{UTILS}/repository/files/pyproject.toml?ref=main").json()
    assert body["blob_id"] == expected.stdout.strip()


def test_file_head_and_raw(sandbox):
    """REFERENCE 2.10: HEAD carries metadata in X-Gitlab-* headers; raw returns bytes."""
    head = sandbox.gl().projects.get("platform/libs/common-utils").files.head(".gitlab-ci.yml", ref="main")
    assert head["X-Gitlab-File-Path"] == ".gitlab-ci.yml"
    raw = sandbox.api.get(f"{UTILS}/repository/files/.gitlab-ci.yml/raw")
    assert raw.content.decode() == raw.text and "python -m unittest" in raw.text
    assert head["X-Gitlab-Blob-Id"] == _git_blob_id(raw.content)
    assert head["X-Gitlab-Content-Sha256"] == hashlib.sha256(raw.content).hexdigest()
    assert head["X-Gitlab-Last-Commit-Id"] and head["X-Gitlab-Ref"] == "main"


def test_file_errors(sandbox):
    """REFERENCE 2.10: ref is required; missing file 404."""
    assert sandbox.api.get(f"{UTILS}/repository/files/README.md").json() == {"error": "ref is missing"}
    missing = sandbox.api.get(f"{UTILS}/repository/files/nope.txt?ref=main")
    assert missing.status_code == 404 and missing.json() == {"message": "404 File Not Found"}
    assert sandbox.api.head(f"{UTILS}/repository/files/nope.txt?ref=main").status_code == 404


def test_nested_path_must_be_encoded(sandbox):
    """REFERENCE 0.1 and 2.10: file paths with '/' are %2F-encoded in one segment."""
    ok = sandbox.api.get(
        "/projects/platform%2Fpayments/repository/files/src%2Fpayments%2F__init__.py?ref=main"
    )
    assert ok.status_code == 200 and ok.json()["file_path"] == "src/payments/__init__.py"
    assert (
        sandbox.api.get("/projects/platform%2Fpayments/repository/files/src/payments?ref=main").status_code
        == 404
    )


def test_commit_with_several_actions(sandbox):
    """REFERENCE 2.11: create and update in one commit, 201 with stats."""
    readme = sandbox.api.get(f"{UTILS}/repository/files/README.md?ref=main").json()
    response = sandbox.api.post(
        f"{UTILS}/repository/commits",
        json={
            "branch": "main",
            "commit_message": "provision CI",
            "actions": [
                {"action": "create", "file_path": "ci/a.yml", "content": "stages: [test]\n"},
                {
                    "action": "update",
                    "file_path": "README.md",
                    "content": "# utils\n",
                    "last_commit_id": readme["last_commit_id"],
                },
            ],
        },
    )
    assert response.status_code == 201
    commit = response.json()
    assert commit["title"] == "provision CI" and commit["parent_ids"] == [readme["commit_id"]]
    assert commit["stats"] == {"additions": 2, "deletions": 1, "total": 3}
    after = sandbox.api.get(f"{UTILS}/repository/files/README.md?ref=main").json()
    assert after["last_commit_id"] == commit["id"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            {"action": "create", "file_path": "README.md", "content": "x"},
            "A file with this name already exists",
        ),
        (
            {"action": "update", "file_path": "missing.md", "content": "x"},
            "A file with this name doesn't exist",
        ),
        ({"action": "delete", "file_path": "missing.md"}, "A file with this name doesn't exist"),
        (
            {"action": "update", "file_path": "README.md", "content": "x", "last_commit_id": "0" * 40},
            "The file has changed since you started editing it: README.md",
        ),
    ],
)
def test_commit_errors_are_atomic(sandbox, action, message):
    """REFERENCE 2.11: GitLab's error texts; nothing of a failed commit is kept."""
    before = sandbox.api.get(f"{UTILS}/repository/branches/main").json()["commit"]["id"]
    response = sandbox.api.post(
        f"{UTILS}/repository/commits",
        json={
            "branch": "main",
            "commit_message": "m",
            "actions": [{"action": "create", "file_path": "new.txt", "content": "n"}, action],
        },
    )
    assert response.status_code == 400 and response.json() == {"message": message}
    assert sandbox.api.get(f"{UTILS}/repository/branches/main").json()["commit"]["id"] == before
    assert sandbox.api.get(f"{UTILS}/repository/files/new.txt?ref=main").status_code == 404


def test_commit_to_a_missing_branch_needs_a_start_ref(sandbox):
    """REFERENCE 2.10 and 2.11: branch missing and no start_branch."""
    body = {
        "branch": "feature",
        "commit_message": "m",
        "actions": [{"action": "create", "file_path": "f", "content": "x"}],
    }
    response = sandbox.api.post(f"{UTILS}/repository/commits", json=body)
    assert response.json() == {"message": "You can only create or edit files when you are on a branch"}
    started = sandbox.api.post(f"{UTILS}/repository/commits", json={**body, "start_branch": "main"})
    assert started.status_code == 201
    assert (
        sandbox.api.get(f"{UTILS}/repository/branches/feature").json()["commit"]["id"] == started.json()["id"]
    )


def test_first_commit_to_an_empty_repository_sets_the_default_branch(sandbox):
    """REFERENCE 2.11 and 2.1: empty_repo until the first commit, whose branch becomes the default."""
    assert sandbox.api.get("/projects/data%2Fingest").json()["empty_repo"] is True
    response = sandbox.api.post(
        "/projects/data%2Fingest/repository/commits",
        json={
            "branch": "develop",
            "commit_message": "init",
            "actions": [{"action": "create", "file_path": "a"}],
        },
    )
    assert response.status_code == 201 and response.json()["parent_ids"] == []
    project = sandbox.api.get("/projects/data%2Fingest").json()
    assert project["empty_repo"] is False and project["default_branch"] == "develop"


def test_push_to_protected_branch_is_refused_without_push_rights(sandbox):
    """REFERENCE 2.11: 403 "You are not allowed to push into this branch" (GitLab QA specs)."""
    body = {
        "branch": "main",
        "commit_message": "m",
        "actions": [{"action": "create", "file_path": "x", "content": "y"}],
    }
    no_one = sandbox.api.post("/projects/platform%2Fpayments/repository/commits", json=body)
    assert no_one.status_code == 403
    assert no_one.json() == {"message": "403 Forbidden - You are not allowed to push into this branch"}
    developer = sandbox.as_user(DANA_TOKEN).post(f"{UTILS}/repository/commits", json=body)
    assert developer.json() == {"message": "403 Forbidden - You are not allowed to push into this branch"}
    branch = sandbox.as_user(DANA_TOKEN).post(
        f"{UTILS}/repository/commits", json={**body, "branch": "dana/ci", "start_branch": "main"}
    )
    assert branch.status_code == 201


def test_single_file_api(sandbox):
    """REFERENCE 2.10: POST 201, PUT 200, DELETE 204 on files."""
    url = f"{UTILS}/repository/files/docs%2Fguide.md"
    created = sandbox.api.post(url, json={"branch": "main", "commit_message": "add", "content": "hi"})
    assert created.status_code == 201 and created.json() == {"file_path": "docs/guide.md", "branch": "main"}
    again = sandbox.api.post(url, json={"branch": "main", "commit_message": "add", "content": "hi"})
    assert again.json() == {"message": "A file with this name already exists"}
    stale = sandbox.api.put(
        url, json={"branch": "main", "commit_message": "u", "content": "ho", "last_commit_id": "1" * 40}
    )
    assert stale.status_code == 400
    assert (
        sandbox.api.put(url, json={"branch": "main", "commit_message": "u", "content": "ho"}).status_code
        == 200
    )
    assert sandbox.api.delete(url, json={"branch": "main", "commit_message": "d"}).status_code == 204


def test_python_gitlab_files_and_base64(sandbox):
    """REFERENCE 2.10: python-gitlab files.get decodes; base64 encoding on write."""
    project = sandbox.gl().projects.get("platform/libs/common-utils")
    project.files.create(
        {
            "file_path": "bin/run",
            "branch": "main",
            "commit_message": "add",
            "content": base64.b64encode(b"#!/bin/sh\n").decode(),
            "encoding": "base64",
            "execute_filemode": True,
        }
    )
    got = project.files.get("bin/run", ref="main")
    assert got.decode() == b"#!/bin/sh\n" and got.execute_filemode is True


def test_branches(sandbox):
    """REFERENCE 2.12: create, read, duplicate 400, bad ref 400, delete 204, missing 404."""
    created = sandbox.api.post(f"{UTILS}/repository/branches", json={"branch": "release/1.x", "ref": "main"})
    assert created.status_code == 201 and created.json()["protected"] is False
    got = sandbox.api.get(f"{UTILS}/repository/branches/release%2F1.x").json()
    assert got["name"] == "release/1.x" and got["commit"]["id"] == created.json()["commit"]["id"]
    main = sandbox.api.get(f"{UTILS}/repository/branches/main").json()
    assert main["protected"] is True and main["default"] is True and main["developers_can_push"] is False
    assert sandbox.api.post(
        f"{UTILS}/repository/branches", json={"branch": "main", "ref": "main"}
    ).json() == {"message": "Branch already exists"}
    bad = sandbox.api.post(f"{UTILS}/repository/branches", json={"branch": "b", "ref": "nope"})
    assert bad.status_code == 400
    invalid = sandbox.api.post(f"{UTILS}/repository/branches", json={"branch": "a..b", "ref": "main"})
    # Branches::ValidateNewService's words [G:app/services/branches/validate_new_service.rb]
    assert invalid.json() == {"message": "Branch name is invalid"}
    assert sandbox.api.delete(f"{UTILS}/repository/branches/release%2F1.x").status_code == 204
    assert sandbox.api.get(f"{UTILS}/repository/branches/release%2F1.x").json() == {
        "message": "404 Branch Not Found"
    }


def test_protected_branches(sandbox):
    """REFERENCE 2.12: GET, POST (409 on duplicate), PATCH allowed_to_*, DELETE."""
    url = "/projects/platform%2Fpayments/protected_branches"
    main = sandbox.api.get(f"{url}/main").json()
    assert main["push_access_levels"][0]["access_level"] == 0
    assert main["push_access_levels"][0]["access_level_description"] == "No access"
    assert main["merge_access_levels"][0]["access_level"] == 40
    created = sandbox.api.post(url, json={"name": "release/*", "push_access_level": 30})
    assert created.status_code == 201 and created.json()["unprotect_access_levels"][0]["access_level"] == 40
    level_id = created.json()["push_access_levels"][0]["id"]
    patched = sandbox.api.patch(
        f"{url}/release%2F*",
        json={
            "allow_force_push": True,
            "allowed_to_push": [{"id": level_id, "_destroy": True}, {"access_level": 40}],
        },
    ).json()
    assert patched["allow_force_push"] is True
    assert [a["access_level"] for a in patched["push_access_levels"]] == [40]
    assert sandbox.api.delete(f"{url}/release%2F*").status_code == 204
    assert sandbox.api.get(f"{url}/release%2F*").status_code == 404


def test_wildcard_protection_applies_to_matching_branches(sandbox, dana):
    """REFERENCE 2.12: wildcards such as release/* protect matching branches."""
    sandbox.api.post("/projects/platform%2Fbilling/protected_branches", json={"name": "release/*"})
    sandbox.api.post(
        "/projects/platform%2Fbilling/repository/branches", json={"branch": "release/2", "ref": "main"}
    )
    body = {"branch": "release/2", "commit_message": "m", "actions": [{"action": "create", "file_path": "x"}]}
    assert dana.post("/projects/platform%2Fbilling/repository/commits", json=body).status_code == 403


def test_protected_tags(sandbox):
    """Protected tags: GET/POST/DELETE with create_access_level (REFERENCE 2.12 conventions)."""
    url = "/projects/platform%2Fbilling/protected_tags"
    created = sandbox.api.post(url, json={"name": "v*", "create_access_level": 40})
    assert created.status_code == 201
    assert created.json()["create_access_levels"][0]["access_level"] == 40
    assert sandbox.api.get(f"{url}/v%2A").json()["name"] == "v*"
    assert sandbox.api.post(url, json={"name": "v*"}).status_code == 422
    assert sandbox.gl().projects.get("platform/billing").protectedtags.list(get_all=True)[0].name == "v*"
    assert sandbox.api.delete(f"{url}/v%2A").status_code == 204
    assert sandbox.api.get(url).json() == []


def test_merge_requests(sandbox, dana):
    """REFERENCE 2.13: create 201, list filters, 409 with an array message, update."""
    base = "/projects/platform%2Fpayments"
    dana.post(f"{base}/repository/branches", json={"branch": "provision", "ref": "main"})
    body = {"source_branch": "provision", "target_branch": "main", "title": "Provision CI"}
    created = dana.post(f"{base}/merge_requests", json=body)
    assert created.status_code == 201
    mr = created.json()
    assert mr["state"] == "opened" and mr["iid"] == 1 and mr["author"]["username"] == "dana"
    duplicate = dana.post(f"{base}/merge_requests", json=body)
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "message": ["Another open merge request already exists for this source branch: !1"]
    }
    found = sandbox.api.get(
        f"{base}/merge_requests",
        params={"state": "opened", "source_branch": "provision", "target_branch": "main"},
    ).json()
    assert [m["iid"] for m in found] == [1]
    assert sandbox.api.get(f"{base}/merge_requests?state=closed").json() == []
    updated = dana.put(f"{base}/merge_requests/1", json={"description": "now with tests"}).json()
    assert updated["description"] == "now with tests"
    closed = dana.put(f"{base}/merge_requests/1", json={"state_event": "close"}).json()
    assert closed["state"] == "closed"
    assert dana.post(f"{base}/merge_requests", json=body).status_code == 201
    same = dana.post(f"{base}/merge_requests", json={**body, "source_branch": "main"})
    assert same.status_code == 422 and isinstance(same.json()["message"], list)


def test_python_gitlab_merge_request_objects(sandbox):
    """REFERENCE 2.13: python-gitlab's mergerequests manager."""
    project = sandbox.gl().projects.get("platform/payments")
    project.branches.create({"branch": "x", "ref": "main"})
    mr = project.mergerequests.create({"source_branch": "x", "target_branch": "main", "title": "t"})
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.mergerequests.create({"source_branch": "x", "target_branch": "main", "title": "t"})
    assert caught.value.response_code == 409
    mr.title = "renamed"
    mr.save()
    assert project.mergerequests.get(mr.iid).title == "renamed"
