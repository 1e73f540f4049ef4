"""Identity, tokens, scopes and roles: 401, 403 and 404 as GitLab answers them."""

from __future__ import annotations

import gitlab
import pytest

from provisioner.sandbox.seed import DANA_TOKEN, RITA_TOKEN


def test_version_answers_18_6_ee_and_is_configurable(sandbox):
    """REFERENCE 2.15: GET /version."""
    body = sandbox.api.get("/version").json()
    assert body["version"] == "18.6.0-ee"
    assert body["revision"]
    assert sandbox.admin.post("/-/sandbox/version", json={"version": "18.4.2-ee"}).status_code == 200
    assert sandbox.gl().version()[0] == "18.4.2-ee"


def test_current_user_and_token_self(sandbox):
    """REFERENCE 2.15: GET /user and GET /personal_access_tokens/self."""
    user = sandbox.api.get("/user").json()
    assert user["username"] == "root"
    assert user["is_admin"] is True
    token = sandbox.api.get("/personal_access_tokens/self").json()
    assert token["scopes"] == ["api", "read_api", "create_runner", "manage_runner", "sudo"]
    assert token["active"] is True and token["revoked"] is False
    assert "token" not in token
    dana = sandbox.as_user(DANA_TOKEN).get("/user").json()
    assert dana["username"] == "dana" and "is_admin" not in dana


def test_python_gitlab_auth_reads_the_current_user(sandbox):
    """REFERENCE 2.15: python-gitlab's auth() calls GET /user."""
    gl = sandbox.gl(DANA_TOKEN)
    gl.auth()
    assert gl.user is not None and gl.user.username == "dana"


@pytest.mark.parametrize("token", [None, "glpat-not-a-token"])
def test_missing_or_invalid_token_is_401(sandbox, token):
    """REFERENCE 1.1: missing or invalid token gives 401 {"message":"401 Unauthorized"}."""
    response = sandbox.api.get("/projects/1/variables", token=token)
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_invalid_token_is_401_even_for_public_data(sandbox):
    """REFERENCE 1.1: an invalid token is refused before anything else."""
    assert sandbox.api.get("/version", token="glpat-wrong").status_code == 401
    with pytest.raises(gitlab.GitlabAuthenticationError):
        sandbox.gl("glpat-wrong").auth()


def test_bearer_header_and_private_token_query_param_authenticate(sandbox):
    """REFERENCE 1.1: PRIVATE-TOKEN, Authorization: Bearer, or ?private_token=."""
    bearer = sandbox.api.get("/user", token=None, headers={"Authorization": f"Bearer {sandbox.token}"})
    assert bearer.status_code == 200
    query = sandbox.api.get(f"/user?private_token={sandbox.token}", token=None)
    assert query.status_code == 200


def _invalid_token(response, description):
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": description}
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expired_and_revoked_tokens_are_401(sandbox):
    """REFERENCE 2.15: 401 if the token is invalid, expired or revoked; for a known token, APIGuard's
    OAuth body [G:lib/api/api_guard.rb]. DELETE /personal_access_tokens/self revokes the token it is sent
    with, whatever its scopes: 204 [G:lib/api/personal_access_tokens/self_information.rb]."""
    user_id, _ = sandbox.user_with_token("erin")
    expired = sandbox.api.post(
        f"/users/{user_id}/personal_access_tokens",
        json={"name": "old", "scopes": ["api"], "expires_at": "2020-01-01"},
    ).json()
    expiry = "Token is expired. You can either do re-authorization or token refresh."
    _invalid_token(sandbox.api.get("/personal_access_tokens/self", token=expired["token"]), expiry)
    token = sandbox.api.post(
        f"/users/{user_id}/personal_access_tokens", json={"name": "git", "scopes": ["read_repository"]}
    ).json()["token"]
    assert sandbox.api.get("/personal_access_tokens/self", token=token).json()["active"] is True
    revoked = sandbox.api.delete("/personal_access_tokens/self", token=token)
    assert revoked.status_code == 204 and revoked.content == b""
    revocation = "Token was revoked. You have to re-authorize from the user."
    for method, path in (
        ("GET", "/personal_access_tokens/self"),
        ("GET", "/projects"),
        ("DELETE", "/personal_access_tokens/self"),
    ):
        _invalid_token(sandbox.api.request(method, path, token=token), revocation)
    assert sandbox.api.get("/user").status_code == 200  # only that token


def test_python_gitlab_revokes_the_token_it_uses(sandbox):
    """REFERENCE 2.15: python-gitlab's personal_access_tokens.delete("self"); the token is then refused."""
    _, token = sandbox.user_with_token("rex")
    gl = sandbox.gl(token)
    gl.auth()
    gl.personal_access_tokens.delete("self")
    with pytest.raises(gitlab.GitlabAuthenticationError):
        gl.auth()


def test_read_api_token_gets_insufficient_scope_on_writes(sandbox, rita):
    """REFERENCE 1.1: 403 insufficient_scope, OAuth-style body."""
    response = rita.post("/projects/data%2Freports/variables", json={"key": "K", "value": "v"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the access token.",
        "scope": "api",
    }
    assert rita.get("/projects/data%2Freports").status_code == 200


def test_token_without_api_scopes_cannot_read_the_api(sandbox):
    """REFERENCE 1.1: a read_repository-only token is not an API token."""
    user_id, _ = sandbox.user_with_token("repo-reader")
    token = sandbox.api.post(
        f"/users/{user_id}/personal_access_tokens", json={"name": "r", "scopes": ["read_repository"]}
    ).json()["token"]
    response = sandbox.api.get("/projects", token=token)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_404_hides_projects_the_caller_cannot_see(sandbox):
    """REFERENCE 0.2 and 1.4: invisible is not found; visible but not allowed is 403."""
    _, outsider = sandbox.user_with_token("outsider")
    as_outsider = sandbox.as_user(outsider)
    hidden = as_outsider.get("/projects/platform%2Fbilling")
    assert hidden.status_code == 404
    assert hidden.json() == {"message": "404 Project Not Found"}
    assert as_outsider.get("/projects/999999").json() == {"message": "404 Project Not Found"}
    # rita (Reporter in data) sees data/reports but may not manage its variables.
    rita = sandbox.as_user(RITA_TOKEN)
    assert rita.get("/projects/data%2Freports/variables").status_code == 403
    assert rita.get("/projects/data%2Freports/variables").json() == {"message": "403 Forbidden"}


def test_bare_project_name_without_namespace_is_404(sandbox):
    """REFERENCE 1.2: an id without '/' that is not a number finds nothing."""
    assert sandbox.api.get("/projects/billing").status_code == 404


def test_admin_creates_users_and_tokens_non_admin_cannot(sandbox, dana):
    """REFERENCE 2.15 and the Users API: POST /users and POST /users/:id/personal_access_tokens."""
    user_id, token = sandbox.user_with_token("mallory", ["read_api"])
    assert token.startswith("glpat-")
    listed = sandbox.api.get("/personal_access_tokens/self", token=token).json()
    assert listed["scopes"] == ["read_api"] and listed["user_id"] == user_id
    assert dana.post("/users", json={"username": "x", "name": "x", "email": "x@x.test"}).status_code == 403
    duplicate = sandbox.api.post("/users", json={"username": "mallory", "name": "m", "email": "m2@x.test"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"message": "Username has already been taken"}


def test_sudo_needs_an_admin_token_with_sudo_scope(sandbox, dana):
    """REFERENCE 1.1: Sudo header rules."""
    as_dana = sandbox.api.get("/user", headers={"Sudo": "dana"})
    assert as_dana.json()["username"] == "dana"
    refused = dana.get("/user", headers={"Sudo": "root"})
    assert refused.status_code == 403
    assert refused.json() == {"message": "403 Forbidden - Must be admin to use sudo"}
    unknown = sandbox.api.get("/user", headers={"Sudo": "nobody"})
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "404 User with ID or username 'nobody' Not Found"}


def test_unknown_route_is_grape_404(sandbox):
    """REFERENCE 1.3: unknown API paths."""
    response = sandbox.api.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"error": "404 Not Found"}
