"""The sandbox for the facet integration tests: the shared in-process server (tests/conftest.py) with
a fresh demo world per test, the engine run against it over HTTP, and a throwaway keyring (never the
user's).

Its fixtures reach the tests through tests/facets/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from provisioner.engine.run import run
from provisioner.facets import FACETS
from provisioner.facets.base import ApplyContext, Facet, PlanOptions
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import RunResult
from provisioner.sandbox import SandboxServer
from tests.support import Sandbox


@dataclass
class World:
    server: SandboxServer
    inventory_dir: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.token

    # -- talking to GitLab as a user would (fixtures, assertions) ------------------------------------
    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        response = requests.request(
            method,
            f"{self.url}/api/v4{path}",
            headers={"PRIVATE-TOKEN": token or self.token},
            timeout=15,
            **kwargs,
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={"per_page": 100, **params})

    def project_id(self, path: str) -> int:
        return int(self.get(f"/projects/{path.replace('/', '%2F')}")["id"])

    def user_with_token(self, username: str, scopes: Sequence[str], level: int, group: str) -> str:
        """A member of `group` with `level`, and a personal access token with `scopes`."""
        user = self.request(
            "POST", "/users", json={"username": username, "name": username, "email": f"{username}@x.test"}
        )
        token = self.request(
            "POST", f"/users/{user['id']}/personal_access_tokens", json={"name": "t", "scopes": list(scopes)}
        )
        self.request("POST", f"/groups/{group}/members", json={"user_id": user["id"], "access_level": level})
        return str(token["token"])

    # -- the sandbox's own controls ------------------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        return dict(self._admin("GET", "/-/sandbox/requests"))

    def writes(self) -> int:
        return int(self.counters()["writes"])

    def reset_counters(self) -> None:
        self._admin("POST", "/-/sandbox/requests/reset")

    def faults(self, *script: dict[str, Any]) -> None:
        self._admin("POST", "/-/sandbox/faults", json={"script": list(script)})

    def set_version(self, version: str) -> None:
        self._admin("POST", "/-/sandbox/version", json={"version": version})

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, self.url + path, headers={"PRIVATE-TOKEN": self.token}, timeout=15, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()

    # -- the engine ------------------------------------------------------------------------------
    def api(self, token: str | None = None) -> GitLabApi:
        return GitLabApi(self.url, token or self.token, max_retries=2)

    def run(
        self,
        specs: Sequence[ProjectSpec],
        mode: str = "apply",
        *,
        rotate: bool = False,
        token: str | None = None,
        facets: Sequence[Facet] = FACETS,
        prefetch: bool = True,
    ) -> RunResult:
        api = self.api(token)
        options = PlanOptions(rotate=rotate)
        ctx = ApplyContext(options=options, inventory_dir=str(self.inventory_dir))
        try:
            return run(
                api,
                list(specs),
                mode=mode,
                options=options,
                ctx=ctx,
                concurrency=2,
                facets=facets,
                prefetch=prefetch,
            )
        finally:
            api.close()


def converge(
    world: World,
    specs: Sequence[ProjectSpec],
    *,
    rotate: bool = False,
    facets: Sequence[Facet] = FACETS,
) -> RunResult:
    """Apply, then check the contract: a second apply writes nothing and a plan is empty."""
    first = world.run(specs, "apply", rotate=rotate, facets=facets)
    assert problems(first) == [], problems(first)
    remaining = [c.public() for p in first.projects for c in p.remaining]
    assert remaining == [], remaining
    world.reset_counters()
    second = world.run(specs, "apply", rotate=rotate, facets=facets)
    outcome = (world.writes(), pending(second), problems(second))
    assert outcome == (0, [], []), outcome
    plan = world.run(specs, "plan", facets=facets)
    assert (pending(plan), problems(plan)) == ([], []), (pending(plan), problems(plan))
    return first


def applied(result: RunResult) -> list[tuple[str, str]]:
    return [(c.action.value, c.target) for p in result.projects for c in p.applied]


def spec(path: str, **sections: Any) -> ProjectSpec:
    return ProjectSpec(path=path, config=Project(**sections))


def pending(result: RunResult) -> list[dict[str, Any]]:
    return [c.public() for p in result.projects for c in p.pending]


def problems(result: RunResult) -> list[str]:
    return [f"{p.facet}: {p.message}" for r in result.projects for p in r.problems]


@pytest.fixture
def world(sandbox: Sandbox, tmp_path: Path) -> World:
    """The demo world (provisioner/sandbox/seed.py), fresh for this test (tests/conftest.py)."""
    inventory_dir = tmp_path / "inventory"
    inventory_dir.mkdir()
    return World(sandbox.server, inventory_dir)


@pytest.fixture(autouse=True)
def throwaway_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """A real keyring backend in a temporary file, never the user's."""
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
