"""Repository tags [G:lib/api/tags.rb, app/services/tags/create_service.rb] and the CI/CD catalog's
GraphQL [G:app/graphql/types/project_type.rb isCatalogResource,
app/graphql/mutations/ci/catalog/resources/create.rb]."""

from __future__ import annotations

TAGS = "/projects/platform%2Fbilling/repository/tags"
CREATE = "mutation($p: ID!) { catalogResourcesCreate(input: {projectPath: $p}) { errors } }"
READ = "query($p: ID!) { project(fullPath: $p) { isCatalogResource } }"


def test_create_read_and_list_tags(sandbox):
    """POST 201 with the Tag entity (an annotated tag keeps its message); every refusal of the service
    is a 400 with its message, an existing tag too (its 409 is not passed on)."""
    created = sandbox.api.post(TAGS, json={"tag_name": "1.0.0", "ref": "main", "message": "Version 1.0.0"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["message"], body["protected"]) == ("1.0.0", "Version 1.0.0", False)
    assert (
        body["commit"]["id"]
        == body["target"]
        == sandbox.api.get("/projects/platform%2Fbilling/repository/branches/main").json()["commit"]["id"]
    )
    assert sandbox.api.get(f"{TAGS}/1.0.0").json()["name"] == "1.0.0"
    assert sandbox.api.get(f"{TAGS}/9.9.9").json() == {"message": "404 Tag Not Found"}
    for body, message in (
        ({"tag_name": "1.0.0", "ref": "main"}, "Tag 1.0.0 already exists"),
        ({"tag_name": "2.0.0", "ref": "nowhere"}, "Target nowhere is invalid"),
        ({"tag_name": "bad..name", "ref": "main"}, "Tag name invalid"),
    ):
        refused = sandbox.api.post(TAGS, json=body)
        assert (refused.status_code, refused.json()) == (400, {"message": message})
    assert sandbox.api.post(TAGS, json={"tag_name": "1.1.0", "ref": "main"}).status_code == 201
    listed = sandbox.api.get(TAGS, params={"order_by": "name", "sort": "asc"}).json()
    assert [t["name"] for t in listed] == ["1.0.0", "1.1.0"]
    assert [t["name"] for t in sandbox.api.get(TAGS, params={"search": "^1.1"}).json()] == ["1.1.0"]


def test_a_protected_tag_is_created_only_by_those_its_rule_allows(sandbox, dana):
    """`authorize_admin_tag` (Developer) and the protected tag's create level."""
    assert sandbox.api.post(
        "/projects/platform%2Fbilling/protected_tags", json={"name": "v*", "create_access_level": 40}
    ).ok
    refused = dana.post(TAGS, json={"tag_name": "v1.0.0", "ref": "main"})
    assert refused.status_code == 400
    assert dana.post(TAGS, json={"tag_name": "nightly", "ref": "main"}).status_code == 201


def test_a_catalog_project_is_made_by_its_owner_and_is_a_write(sandbox, dana):
    """catalogResourcesCreate needs the project's Owner (and a token that may write); it counts as a
    write; a second time it answers the model's error in the payload."""
    assert sandbox.graphql(READ, {"p": "platform/billing"})["data"]["project"]["isCatalogResource"] is False
    denied = sandbox.graphql(CREATE, {"p": "platform/billing"}, token=dana.token)
    assert denied["data"]["catalogResourcesCreate"] is None
    assert "you don't have permission" in denied["errors"][0]["message"]
    sandbox.reset_counters()
    made = sandbox.graphql(CREATE, {"p": "platform/billing"})
    assert made["data"]["catalogResourcesCreate"] == {"errors": []}
    assert sandbox.counters()["writes"] == 1
    assert sandbox.graphql(READ, {"p": "platform/billing"})["data"]["project"]["isCatalogResource"] is True
    again = sandbox.graphql(CREATE, {"p": "platform/billing"})
    assert again["data"]["catalogResourcesCreate"] == {"errors": ["Project has already been taken"]}


def test_a_read_api_token_cannot_make_one(sandbox):
    """An Owner whose token may only read: refused all the same."""
    user, token = sandbox.user_with_token("reader", ["read_api"])
    sandbox.add_member("groups", "platform", user, 50)
    denied = sandbox.graphql(CREATE, {"p": "platform/billing"}, token=token)
    assert denied["data"]["catalogResourcesCreate"] is None and denied["errors"]
