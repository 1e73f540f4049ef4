"""Test support: talking to the sandbox over HTTP, and running the CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gitlab
import requests

from provisioner.blueprint.manifest import load_blueprint
from provisioner.facets.base import FacetDefaults
from provisioner.model import Role, TargetKind
from provisioner.sandbox import SandboxServer


class OnEveryProject(FacetDefaults):
    """A test facet that every project wants, written with a Maintainer, configured by no section."""

    write_role = Role.MAINTAINER
    kind = TargetKind.PROJECT
    section: str | None = None

    def wants(self, spec: Any) -> bool:
        return True


PYTHON_PACKAGE = f"python-package {load_blueprint('python-package').version}"
"""The blueprint and version its commits, merge requests and locks name."""


class Api:
    """Raw HTTP against the sandbox, for status codes, headers and exact bodies."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token
        self.session = requests.Session()

    def request(self, method: str, path: str, *, token: Any = ..., **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        use = self.token if token is ... else token
        if use is not None:
            headers["PRIVATE-TOKEN"] = use
        kwargs.setdefault("timeout", 15)
        return self.session.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class Sandbox:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.token = server.token
        self.api = Api(server.url + "/api/v4", server.token)
        self.admin = Api(server.url, server.token)

    @property
    def state(self) -> Any:
        return self.server.state

    def as_user(self, token: str | None) -> Api:
        return Api(self.url + "/api/v4", token)

    def gl(self, token: str | None = None) -> gitlab.Gitlab:
        return gitlab.Gitlab(self.url, private_token=token or self.token, per_page=100)

    def counters(self) -> dict[str, Any]:
        return dict(self.admin.get("/-/sandbox/requests").json())

    def reset_counters(self) -> None:
        self.admin.post("/-/sandbox/requests/reset")

    def faults(self, **body: Any) -> None:
        response = self.admin.post("/-/sandbox/faults", json=body)
        assert response.status_code == 200, response.text

    def serve_version(self, version: str, edition: str | None = None) -> None:
        """Serve another GitLab version (and edition) until the next reset, e.g. ("17.0", "ce")."""
        body = {"version": version} | ({"edition": edition} if edition else {})
        response = self.admin.post("/-/sandbox/version", json=body)
        assert response.status_code == 200, response.text

    def graphql_cost(self, **body: Any) -> None:
        """`ms_per_project`, `ms_per_blob`, `timeout_seconds` until the next reset."""
        response = self.admin.post("/-/sandbox/graphql", json=body)
        assert response.status_code == 200, response.text

    def graphql(self, query: str, variables: dict[str, Any] | None = None, *, token: Any = ...) -> Any:
        """POST /api/graphql as `token` (the admin by default); the parsed answer."""
        response = self.admin.post(
            "/api/graphql", json={"query": query, "variables": variables or {}}, token=token
        )
        assert response.status_code == 200, response.text
        return response.json()

    def user_with_token(self, username: str, scopes: list[str] | None = None) -> tuple[int, str]:
        """A new user and a personal access token, made through the admin API as GitLab allows."""
        user = self.api.post(
            "/users", json={"username": username, "name": username.title(), "email": f"{username}@x.test"}
        )
        assert user.status_code == 201, user.text
        token = self.api.post(
            f"/users/{user.json()['id']}/personal_access_tokens",
            json={"name": f"{username}-token", "scopes": scopes or ["api"]},
        )
        assert token.status_code == 201, token.text
        return int(user.json()["id"]), str(token.json()["token"])

    def add_member(self, kind: str, ident: str | int, user_id: int, level: int) -> None:
        response = self.api.post(
            f"/{kind}/{enc(ident)}/members", json={"user_id": user_id, "access_level": level}
        )
        assert response.status_code == 201, response.text


def enc(ident: str | int) -> str:
    return quote(str(ident), safe="")


ROOT = Path(__file__).resolve().parent.parent
STATE_HOME = tempfile.mkdtemp(prefix="provisioner-tests-state-")
"""The CLI's state folder in tests (the plan key of `plan --out`), never the user's."""


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`python -m provisioner ARGS` in a subprocess, with this checkout's package first on the path."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_"))}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment["XDG_STATE_HOME"] = STATE_HOME
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        env=environment,
        cwd=cwd or ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
