"""Protected environments of projects and groups (GitLab Premium), as ee/lib/api/protected_environments.rb
answers: Maintainers for a project, Owners for a group, entries GitLab does not accept dropped
silently, the model's validations as full messages, and nothing at all on the Community Edition."""

from __future__ import annotations

PROJECT = "/projects/platform%2Fbilling/protected_environments"
GROUP = "/groups/platform/protected_environments"


def _user(sandbox, name):
    return sandbox.api.get("/users", params={"username": name}).json()[0]["id"]


def _group(sandbox, path):
    return sandbox.api.get(f"/groups/{path.replace('/', '%2F')}").json()["id"]


def test_protect_read_update_and_unprotect_a_project_environment(sandbox):
    """[G:doc/api/protected_environments.md]: POST 201 with the entity; PUT destroys by id and adds;
    DELETE 204 (destroy_conditionally!); a missing name is a plain 404."""
    created = sandbox.api.post(
        PROJECT,
        json={
            "name": "production",
            "deploy_access_levels": [{"access_level": 40}],
            "approval_rules": [{"access_level": 40, "required_approvals": 2}],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["required_approval_count"]) == ("production", 0)
    (deploy,) = body["deploy_access_levels"]
    assert {k: deploy[k] for k in ("access_level", "access_level_description", "user_id", "group_id")} == {
        "access_level": 40,
        "access_level_description": "Maintainers",
        "user_id": None,
        "group_id": None,
    }
    assert [(r["access_level"], r["required_approvals"]) for r in body["approval_rules"]] == [(40, 2)]

    again = sandbox.api.post(
        PROJECT, json={"name": "production", "deploy_access_levels": [{"access_level": 30}]}
    )
    assert again.status_code == 409
    assert again.json() == {"message": "Environment 'production' is already protected"}

    updated = sandbox.api.put(
        f"{PROJECT}/production",
        json={"deploy_access_levels": [{"id": deploy["id"], "_destroy": True}, {"access_level": 30}]},
    )
    assert [d["access_level"] for d in updated.json()["deploy_access_levels"]] == [30]
    assert [e["name"] for e in sandbox.api.get(PROJECT).json()] == ["production"]
    assert sandbox.api.delete(f"{PROJECT}/production").status_code == 204
    assert sandbox.api.get(f"{PROJECT}/production").json() == {"message": "404 Not Found"}


def test_users_and_groups_gitlab_does_not_accept_are_dropped_silently(sandbox):
    """[G:ee/app/services/protected_environments/base_service.rb] valid_attribute?: a project's users
    need Developer, its groups must have the project shared with them."""
    dana, rita, data = _user(sandbox, "dana"), _user(sandbox, "rita"), _group(sandbox, "data")
    answer = sandbox.api.post(
        PROJECT,
        json={
            "name": "pypi",
            "deploy_access_levels": [{"user_id": dana}, {"user_id": rita}, {"group_id": data}],
        },
    ).json()
    assert [(d["user_id"], d["group_id"]) for d in answer["deploy_access_levels"]] == [(dana, None)]
    assert answer["deploy_access_levels"][0]["access_level_description"] == "Dana Developer"

    assert sandbox.api.post(
        "/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 30}
    ).ok
    shared = sandbox.api.put(
        f"{PROJECT}/pypi", json={"deploy_access_levels": [{"group_id": data, "group_inheritance_type": 1}]}
    ).json()
    assert [(d["group_id"], d["group_inheritance_type"]) for d in shared["deploy_access_levels"]] == [
        (None, 0),
        (data, 1),
    ]

    nobody = sandbox.api.post(PROJECT, json={"name": "staging", "deploy_access_levels": [{"user_id": rita}]})
    assert nobody.status_code == 422
    assert nobody.json() == {"message": ["Deploy access levels is too short (minimum is 1 character)"]}


def test_grape_checks_the_parameters(sandbox):
    """`requires :deploy_access_levels`, `values:` of access levels, approval rules' at_least_one_of,
    and the deprecated required_approval_count refused with 422."""
    missing = sandbox.api.post(PROJECT, json={"name": "x"})
    assert missing.status_code == 400 and missing.json() == {"error": "deploy_access_levels is missing"}
    level = sandbox.api.post(PROJECT, json={"name": "x", "deploy_access_levels": [{"access_level": 50}]})
    assert level.json() == {"error": "deploy_access_levels[0][access_level] does not have a valid value"}
    who = sandbox.api.post(
        PROJECT,
        json={
            "name": "x",
            "deploy_access_levels": [{"access_level": 40}],
            "approval_rules": [{"required_approvals": 1}],
        },
    )
    assert who.json() == {
        "error": "approval_rules[0][access_level], approval_rules[0][user_id], approval_rules[0][group_id] "
        "are missing, at least one parameter must be provided"
    }
    many = sandbox.api.post(
        PROJECT,
        json={
            "name": "x",
            "deploy_access_levels": [{"access_level": 40}],
            "approval_rules": [{"access_level": 40, "required_approvals": 6}],
        },
    )
    assert many.status_code == 422
    assert many.json() == {"message": ["Approval rules required approvals must be less than or equal to 5"]}
    deprecated = sandbox.api.post(
        PROJECT,
        json={"name": "x", "deploy_access_levels": [{"access_level": 40}], "required_approval_count": 1},
    )
    assert (
        deprecated.status_code == 422
        and "required_approval_count' is deprecated" in deprecated.json()["message"]
    )


def test_a_groups_environments_are_deployment_tiers_and_need_an_owner(sandbox, dana):
    """[G:doc/api/group_protected_environments.md]: names are tiers; admin_protected_environments is an
    Owner's on a group [G:app/policies/group_policy.rb]; subgroups qualify as groups."""
    libs = _group(sandbox, "platform/libs")
    body = {"deploy_access_levels": [{"access_level": 40}, {"group_id": libs}]}
    tier = sandbox.api.post(GROUP, json={"name": "production", **body})
    assert tier.status_code == 201
    assert [d["group_id"] for d in tier.json()["deploy_access_levels"]] == [None, libs]
    named = sandbox.api.post(GROUP, json={"name": "pypi", **body})
    assert named.status_code == 422
    assert named.json() == {
        "message": [
            "Name must be one of environment tiers: production, staging, testing, development, other."
        ]
    }
    exists = sandbox.api.post(GROUP, json={"name": "production", **body})
    assert exists.json() == {"message": "Protected environment 'production' already exists"}
    assert dana.get(GROUP).status_code == 403  # a Developer of platform
    assert dana.get(PROJECT).status_code == 403  # a project needs a Maintainer


def test_the_community_edition_has_none_of_it(sandbox):
    """The routes live in ee/lib/api: a CE GitLab answers 404 for each, as for any unknown route."""
    sandbox.serve_version("18.6", "ce")
    for method, path in (("GET", PROJECT), ("POST", PROJECT), ("PUT", f"{PROJECT}/x"), ("GET", GROUP)):
        answer = sandbox.api.request(method, path, json={"name": "x"})
        assert answer.status_code == 404, (method, path, answer.text)
