"""Accepting a merge request: `PUT /projects/:id/merge_requests/:iid/merge`.

GitLab's docs (doc/api/merge_requests.md, "Merge a merge request") and lib/api/merge_requests.rb: 401 when
the user may not merge into the target branch, 405 "Method Not Allowed" when it cannot be merged now
(draft, closed, already merged), 422 "Branch cannot be merged" on conflicts (older docs said 406), 409
"SHA does not match HEAD of source branch" when `sha` is not the source head; 200 with the merge request,
`state: merged`, `merge_commit_sha`; `should_remove_source_branch` removes the source branch.

REFERENCE 2.13 (Merge requests) covers opening them, which these tests rely on; accepting one is not in
REFERENCE, so each test below names the source above (`merge_requests.md`, `merge_requests.rb`). The
who-may-merge rule is the target branch's protection, REFERENCE 2.12 (Branches and protected branches).
"""

from __future__ import annotations

import base64

PAYMENTS = "/projects/platform%2Fpayments"
UTILS = "/projects/platform%2Flibs%2Fcommon-utils"


def _commit(api, project, branch, path, content, *, start=None, action="create"):
    body = {
        "branch": branch,
        "commit_message": f"{action} {path}",
        "actions": [{"action": action, "file_path": path, "content": content}],
    }
    if start:
        body["start_branch"] = start
    response = api.post(f"{project}/repository/commits", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _file(api, project, path, ref="main"):
    response = api.get(f"{project}/repository/files/{path.replace('/', '%2F')}", params={"ref": ref})
    return base64.b64decode(response.json()["content"]).decode() if response.status_code == 200 else None


def _open_mr(api, project, source, title="Add notes"):
    response = api.post(
        f"{project}/merge_requests",
        json={"source_branch": source, "target_branch": "main", "title": title},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_merge_makes_a_merge_commit_and_removes_the_branch_when_asked(sandbox):
    """merge_requests.md: 200 with `state: merged` and `merge_commit_sha`; `should_remove_source_branch`;
    an already merged request is 405."""
    head = sandbox.api.get(f"{PAYMENTS}/repository/branches/main").json()["commit"]["id"]
    source_head = _commit(sandbox.api, PAYMENTS, "notes", "NOTES.md", "notes\n", start="main")
    mr = _open_mr(sandbox.api, PAYMENTS, "notes")

    merged = sandbox.api.put(
        f"{PAYMENTS}/merge_requests/{mr['iid']}/merge", json={"should_remove_source_branch": True}
    )

    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["state"] == "merged" and body["merged_by"]["username"] == "root"
    assert body["sha"] == source_head and body["merged_at"]
    commit = sandbox.api.get(f"{PAYMENTS}/repository/commits/main").json()
    assert body["merge_commit_sha"] == commit["id"]
    assert commit["parent_ids"] == [head, source_head]
    assert commit["message"].startswith("Merge branch 'notes' into 'main'")
    assert _file(sandbox.api, PAYMENTS, "NOTES.md") == "notes\n"
    assert sandbox.api.get(f"{PAYMENTS}/repository/branches/notes").status_code == 404
    again = sandbox.api.put(f"{PAYMENTS}/merge_requests/{mr['iid']}/merge")
    assert again.status_code == 405 and again.json() == {"message": "405 Method Not Allowed"}


def test_both_sides_changes_are_kept(sandbox):
    """merge_requests.md: a merge commit keeps both sides; the source branch stays unless asked."""
    _commit(sandbox.api, UTILS, "feature", "NOTES.md", "notes\n", start="main")
    _commit(sandbox.api, UTILS, "main", "CHANGELOG.md", "1.4.2\n")
    mr = _open_mr(sandbox.api, UTILS, "feature")

    assert sandbox.api.put(f"{UTILS}/merge_requests/{mr['iid']}/merge").status_code == 200

    assert _file(sandbox.api, UTILS, "NOTES.md") == "notes\n"
    assert _file(sandbox.api, UTILS, "CHANGELOG.md") == "1.4.2\n"
    assert sandbox.api.get(f"{UTILS}/repository/branches/feature").status_code == 200  # not asked to remove


def test_conflict_is_422_and_nothing_changes(sandbox):
    """merge_requests.rb: 422 "Branch cannot be merged" on conflicts (older docs said 406)."""
    _commit(sandbox.api, UTILS, "feature", "README.md", "theirs\n", start="main", action="update")
    head = _commit(sandbox.api, UTILS, "main", "README.md", "ours\n", action="update")
    mr = _open_mr(sandbox.api, UTILS, "feature")

    refused = sandbox.api.put(f"{UTILS}/merge_requests/{mr['iid']}/merge")

    assert refused.status_code == 422 and refused.json() == {"message": "Branch cannot be merged"}
    assert sandbox.api.get(f"{UTILS}/repository/branches/main").json()["commit"]["id"] == head
    assert sandbox.api.get(f"{UTILS}/merge_requests/{mr['iid']}").json()["state"] == "opened"


def test_sha_must_be_the_source_head(sandbox):
    """merge_requests.rb: 409 "SHA does not match HEAD of source branch" when `sha` is not the source head."""
    source_head = _commit(sandbox.api, UTILS, "feature", "NOTES.md", "notes\n", start="main")
    mr = _open_mr(sandbox.api, UTILS, "feature")

    stale = sandbox.api.put(f"{UTILS}/merge_requests/{mr['iid']}/merge", json={"sha": "0" * 40})

    assert stale.status_code == 409
    assert stale.json() == {"message": f"SHA does not match HEAD of source branch: {source_head}"}
    ok = sandbox.api.put(f"{UTILS}/merge_requests/{mr['iid']}/merge", json={"sha": source_head})
    assert ok.status_code == 200


def test_draft_cannot_be_merged(sandbox):
    """merge_requests.md: 405 when it cannot be merged now (a draft)."""
    _commit(sandbox.api, UTILS, "feature", "NOTES.md", "notes\n", start="main")
    mr = _open_mr(sandbox.api, UTILS, "feature", title="Draft: notes")

    assert sandbox.api.put(f"{UTILS}/merge_requests/{mr['iid']}/merge").status_code == 405


def test_who_may_not_merge_into_the_target_gets_401(sandbox, dana):
    """merge_requests.md: 401 when the user may not merge into the target; REFERENCE 2.12: payments'
    main lets Maintainers merge, and dana is a Developer."""
    _commit(dana, PAYMENTS, "notes", "NOTES.md", "notes\n", start="main")
    mr = _open_mr(dana, PAYMENTS, "notes")

    refused = dana.put(f"{PAYMENTS}/merge_requests/{mr['iid']}/merge")

    assert refused.status_code == 401 and refused.json() == {"message": "401 Unauthorized"}
    assert sandbox.api.put(f"{PAYMENTS}/merge_requests/{mr['iid']}/merge").status_code == 200


def test_python_gitlab_merge(sandbox):
    """python-gitlab's ProjectMergeRequest.merge(should_remove_source_branch=True) over the same route."""
    project = sandbox.gl().projects.get("platform/libs/common-utils")
    _commit(sandbox.api, UTILS, "feature", "NOTES.md", "notes\n", start="main")
    mr = project.mergerequests.create({"source_branch": "feature", "target_branch": "main", "title": "t"})

    mr.merge(should_remove_source_branch=True)

    assert project.mergerequests.get(mr.iid).state == "merged"
    assert [b.name for b in project.branches.list(get_all=True)] == ["main"]
