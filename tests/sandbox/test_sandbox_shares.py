"""Sharing with groups as GitLab's group links do [G:lib/api/projects.rb, lib/api/groups.rb,
app/services/projects/group_links/create_service.rb, app/services/groups/group_links/*]."""

from __future__ import annotations


def _group_id(sandbox, path):
    return sandbox.api.get(f"/groups/{path.replace('/', '%2F')}").json()["id"]


def test_a_project_is_shared_only_with_a_group_the_caller_belongs_to(sandbox):
    """`read_namespace_via_membership`, else GroupLinkable's `error('Not Found', 404)`."""
    maya, token = sandbox.user_with_token("maya")
    sandbox.add_member("projects", "platform/billing", maya, 40)
    data = _group_id(sandbox, "data")
    as_maya = sandbox.as_user(token)
    refused = as_maya.post("/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 20})
    assert (refused.status_code, refused.json()) == (404, {"message": "Not Found"})
    sandbox.add_member("groups", "data", maya, 10)
    made = as_maya.post("/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 20})
    assert made.status_code == 201 and made.json()["group_access"] == 20
    # Owner access needs the project's Owner (`manage_owners`).
    sandbox.api.delete(f"/projects/platform%2Fbilling/share/{data}")
    owner = as_maya.post("/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 50})
    assert (owner.status_code, owner.json()) == (403, {"message": "403 Forbidden"})


def test_a_group_is_shared_by_its_owner_and_its_detail_lists_the_share(sandbox):
    data = _group_id(sandbox, "data")
    made = sandbox.api.post(
        "/groups/platform/share", json={"group_id": data, "group_access": 20, "expires_at": "2099-01-01"}
    )
    assert made.status_code == 201  # the shared group's GroupDetail
    assert made.json()["shared_with_groups"] == [
        {
            "group_id": data,
            "group_name": "Data",
            "group_full_path": "data",
            "group_access_level": 20,
            "expires_at": "2099-01-01",
        }
    ]
    again = sandbox.api.post("/groups/platform/share", json={"group_id": data, "group_access": 20})
    assert (again.status_code, again.json()) == (
        409,
        {"message": "Shared group The group has already been shared with this group"},
    )
    assert (
        sandbox.api.get("/groups/platform?with_projects=false").json()["shared_with_groups"][0]["group_id"]
        == data
    )


def test_a_group_share_removed_below_owner_answers_204_and_stays(sandbox):
    """lib/api/groups.rb answers `no_content!` whatever Groups::GroupLinks::DestroyService returns,
    and the service refuses (Not Found) without `admin_group_member`."""
    data = _group_id(sandbox, "data")
    sandbox.api.post("/groups/platform/share", json={"group_id": data, "group_access": 20})
    maya, token = sandbox.user_with_token("maya")
    sandbox.add_member("groups", "platform", maya, 40)
    assert sandbox.as_user(token).delete(f"/groups/platform/share/{data}").status_code == 204
    assert len(sandbox.api.get("/groups/platform").json()["shared_with_groups"]) == 1
    hidden = sandbox.as_user(token).post(
        "/groups/platform/share", json={"group_id": data, "group_access": 10}
    )
    assert hidden.json() == {"message": "404 Group Not Found"}  # find_group!: maya cannot see data
    sandbox.add_member("groups", "data", maya, 10)
    assert sandbox.as_user(token).post(
        "/groups/platform/share", json={"group_id": data, "group_access": 10}
    ).json() == {"message": "Not Found"}
    assert sandbox.api.delete(f"/groups/platform/share/{data}").status_code == 204
    assert sandbox.api.get("/groups/platform").json()["shared_with_groups"] == []


def test_planner_shares_exist_from_17_7(sandbox):
    data = _group_id(sandbox, "data")
    sandbox.serve_version("17.4")
    refused = sandbox.api.post(
        "/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 15}
    )
    assert refused.json() == {"error": "group_access does not have a valid value"}
    sandbox.serve_version("17.10")
    assert (
        sandbox.api.post(
            "/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 15}
        ).status_code
        == 201
    )
