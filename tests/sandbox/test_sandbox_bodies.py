"""Bodies and formats: Grape reads JSON, form-urlencoded and multipart bodies alike, and GitLab's
entities render dates and times in their own formats."""

from __future__ import annotations

import re

import pytest

GROUPS = "/groups"


@pytest.mark.parametrize("form", ["json", "urlencoded", "multipart"])
def test_a_body_in_any_of_the_three_encodings(sandbox, form):
    """Grape reads each of them [G:lib/api/api.rb, Rack's multipart parser]; array parameters as
    `topics[]=a` and hash parameters as `a[b]=x` in the two form encodings."""
    fields = {
        "name": "encoded",
        "topics[]": ["alpha", "beta"],
        "container_expiration_policy_attributes[cadence]": "7d",
    }
    if form == "json":
        kwargs = {
            "json": {
                "name": "encoded",
                "topics": ["alpha", "beta"],
                "container_expiration_policy_attributes": {"cadence": "7d"},
            }
        }
    elif form == "urlencoded":
        kwargs = {"data": fields}
    else:
        kwargs = {
            "files": [
                (k, (None, v))
                for k, values in fields.items()
                for v in ([values] if isinstance(values, str) else values)
            ]
        }
    created = sandbox.api.post("/projects", **kwargs)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "encoded" and body["topics"] == ["alpha", "beta"]
    assert body["container_expiration_policy"]["cadence"] == "7d"


def test_a_multipart_body_without_its_boundary_is_refused(sandbox):
    response = sandbox.api.post(
        "/projects", data=b"name=x", headers={"Content-Type": "multipart/form-data; boundary=zzz"}
    )
    assert response.status_code == 400


def test_deploy_token_expiry_is_a_timestamp(sandbox):
    """`expires_at` is a DateTime parameter and a datetime column: `2099-12-04` comes back as
    `2099-12-04T00:00:00.000Z` [G:doc/api/deploy_tokens.md example, lib/api/entities/deploy_token.rb]."""
    tokens = "/projects/platform%2Fauth-service/deploy_tokens"
    created = sandbox.api.post(
        tokens, json={"name": "ci", "scopes": ["read_registry"], "expires_at": "2099-12-04"}
    ).json()
    assert created["expires_at"] == "2099-12-04T00:00:00.000Z"
    zoned = sandbox.api.post(
        tokens, json={"name": "zoned", "scopes": ["read_registry"], "expires_at": "2030-01-01T08:30:00+02:00"}
    ).json()
    assert zoned["expires_at"] == "2030-01-01T06:30:00.000Z" and zoned["expired"] is False
    past = sandbox.api.post(
        tokens, json={"name": "old", "scopes": ["read_registry"], "expires_at": "2001-01-01"}
    )
    assert past.json()["expired"] is True
    assert [t["name"] for t in sandbox.api.get(f"{tokens}?active=true").json()] == [
        "registry-read",
        "ci",
        "zoned",
    ]
    bad = sandbox.api.post(tokens, json={"name": "bad", "scopes": ["read_registry"], "expires_at": "soon"})
    assert (bad.status_code, bad.json()) == (400, {"error": "expires_at is invalid"})


def test_date_columns_read_back_as_dates(sandbox):
    """Member, share and personal access token expiry are date columns: `YYYY-MM-DD` [G:lib/api/
    members.rb `expires_at` DateTime, lib/api/users.rb `expires_at` Date, doc/api/projects.md share]."""
    dana = sandbox.api.get("/users?username=dana").json()[0]["id"]
    member = sandbox.api.post(
        "/projects/data%2Freports/members",
        json={"user_id": dana, "access_level": 30, "expires_at": "2031-05-06T10:00:00Z"},
    ).json()
    assert member["expires_at"] == "2031-05-06"
    token = sandbox.api.post(
        f"/users/{dana}/personal_access_tokens",
        json={"name": "t", "scopes": ["api"], "expires_at": "2031-05-06"},
    ).json()
    assert token["expires_at"] == "2031-05-06"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", token["created_at"])


def test_commit_dates_keep_the_committers_zone_to_the_second(sandbox):
    """Gitaly's commit dates are rebuilt with the committer's time zone: `...000+00:00`, not `Z`
    [G:lib/gitlab/git/commit.rb `init_date_from_gitaly`]."""
    commit = sandbox.api.get("/projects/platform%2Fbilling/repository/commits/main").json()
    for key in ("created_at", "authored_date", "committed_date"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+00:00", commit[key]), key
