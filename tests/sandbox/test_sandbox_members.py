"""Members as GitLab refuses them [G:app/models/member.rb, app/services/members/*,
app/policies/group_member_policy.rb], and Project.projectMembers in GraphQL
[G:app/graphql/resolvers/project_members_resolver.rb]."""

from __future__ import annotations

BILLING = "/projects/platform%2Fbilling/members"


def test_a_direct_member_below_the_inherited_role_is_refused_with_gitlab_s_reason(sandbox):
    """`higher_access_level_than_group`: dana is a Developer of platform."""
    refused = sandbox.api.post(BILLING, json={"user_id": 2, "access_level": 20})
    assert refused.status_code == 400
    assert refused.json() == {
        "message": {
            "access_level": [
                "should be greater than or equal to Developer inherited membership from group Platform"
            ]
        }
    }
    assert sandbox.api.post(BILLING, json={"user_id": 2, "access_level": 40}).status_code == 201


def test_only_a_project_s_owner_manages_its_owners(sandbox):
    """`cannot_assign_owner_responsibilities_to_member_in_project?`: a Maintainer may not add, raise to,
    change or remove an Owner of a project [G:app/services/members/create_service.rb, update_service.rb]."""
    maya, token = sandbox.user_with_token("maya")
    sandbox.add_member("projects", "platform/billing", maya, 40)
    as_maya = sandbox.as_user(token)
    assert as_maya.post(BILLING, json={"user_id": 3, "access_level": 50}).status_code == 403
    assert sandbox.api.post(BILLING, json={"user_id": 3, "access_level": 50}).status_code == 201  # the admin
    assert as_maya.put(f"{BILLING}/3", json={"access_level": 30}).status_code == 403
    assert as_maya.delete(f"{BILLING}/3").status_code == 403


def test_a_group_s_last_owner_can_be_neither_removed_nor_demoted(sandbox):
    """GroupMemberPolicy: `last_owner` prevents update_group_member and destroy_group_member (403)."""
    olga, _ = sandbox.user_with_token("olga")
    sandbox.add_member("groups", "platform/libs", olga, 50)
    libs = "/groups/platform%2Flibs/members"
    assert sandbox.api.put(f"{libs}/{olga}", json={"access_level": 40}).json() == {"message": "403 Forbidden"}
    assert sandbox.api.delete(f"{libs}/{olga}").status_code == 403
    # An Owner of the group above makes her not the last one.
    sandbox.add_member("groups", "platform", 3, 50)
    assert sandbox.api.delete(f"{libs}/{olga}").status_code == 204


def test_planner_exists_from_17_7_and_a_past_expiry_is_refused(sandbox):
    """Planner (15) joined Gitlab::Access in 17.7; `expires_at` must not be in the past."""
    sandbox.serve_version("17.4")
    assert sandbox.api.post(BILLING, json={"user_id": 3, "access_level": 15}).json() == {
        "error": "access_level does not have a valid value"
    }
    sandbox.serve_version("18.6")
    past = sandbox.api.post(BILLING, json={"user_id": 3, "access_level": 15, "expires_at": "2020-01-01"})
    assert past.status_code == 400 and "expires_at" in past.json()["message"]
    made = sandbox.api.post(BILLING, json={"user_id": 3, "access_level": 15, "expires_at": "2099-01-01"})
    assert (made.status_code, made.json()["access_level"], made.json()["expires_at"]) == (
        201,
        15,
        "2099-01-01",
    )


QUERY = """query($p: [String!]!, $r: [ProjectMemberRelation!]) { projects(fullPaths: $p) { nodes {
  projectMembers(relations: $r) { nodes { accessLevel { integerValue } expiresAt user { username } } } } } }"""


def _members(sandbox, relations):
    answer = sandbox.graphql(QUERY, {"p": ["platform/billing"], "r": relations})
    nodes = answer["data"]["projects"]["nodes"][0]["projectMembers"]["nodes"]
    return {n["user"]["username"]: (n["accessLevel"]["integerValue"], n["expiresAt"]) for n in nodes}


def test_graphql_project_members_by_relation(sandbox):
    """DIRECT: the project's own; the default adds INHERITED (the groups above); Time for expiry."""
    sandbox.api.post(BILLING, json={"user_id": 3, "access_level": 20, "expires_at": "2099-01-01"})
    assert _members(sandbox, ["DIRECT"]) == {"rita": (20, "2099-01-01T00:00:00Z")}
    assert _members(sandbox, None) == {"rita": (20, "2099-01-01T00:00:00Z"), "dana": (30, None)}
    refused = sandbox.graphql(QUERY, {"p": ["platform/billing"], "r": ["DESCENDANTS"]})
    assert "DESCENDANTS" in refused["errors"][0]["message"]
