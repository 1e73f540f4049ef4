"""The sandbox over HTTP and the real command line (a subprocess), for bootstrap, import and auth.

Every test gets a fresh world in the shared sandbox (tests/conftest.py), a temporary working folder
with its own log file, and a keyring that lives in that folder (keyrings.alt's file backend, selected
through the environment the way a user would), never the user's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from provisioner.sandbox import SandboxServer
from tests.onboard.varied_seed import seed_varied
from tests.support import Sandbox

ROOT = Path(__file__).resolve().parents[2]
FILE_KEYRING = "keyrings.alt.file.PlaintextKeyring"


@dataclass
class Cli:
    """`python -m provisioner` in `cwd`, against the sandbox, with a throwaway keyring and log file."""

    cwd: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def log_file(self) -> Path:
        return self.cwd / "provisioner.log"

    def __call__(
        self, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        merged = {**self.env}
        for name, value in (env or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return subprocess.run(
            [sys.executable, "-m", "provisioner", *args],
            cwd=self.cwd,
            env=merged,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@dataclass
class World:
    server: SandboxServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.token

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"PRIVATE-TOKEN": token or self.token}
        return requests.request(method, f"{self.url}/api/v4{path}", headers=headers, timeout=15, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        response = self.api("GET", path, params={"per_page": 100, **params})
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def counters(self) -> dict[str, Any]:
        response = requests.get(
            f"{self.url}/-/sandbox/requests", headers={"PRIVATE-TOKEN": self.token}, timeout=15
        )
        assert response.status_code == 200
        return dict(response.json())

    def reset_counters(self) -> None:
        requests.post(
            f"{self.url}/-/sandbox/requests/reset", headers={"PRIVATE-TOKEN": self.token}, timeout=15
        ).raise_for_status()


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHON_KEYRING_BACKEND=FILE_KEYRING,
        PROVISIONER_CONFIG=str(home / "no-config.toml"),
        PROVISIONER_LOG_FILE=str(home / "work" / "provisioner.log"),
    )
    return env


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    """The demo world (the shared session sandbox, reset for this test)."""
    return World(sandbox.server)


@pytest.fixture
def varied_world(empty: Sandbox) -> World:
    """200 projects that differ in every way import reproduces (see varied_seed.py)."""
    seed_varied(empty.state, 200)  # straight into the state: the server is idle between requests
    return World(empty.server)


@pytest.fixture
def cli(tmp_path: Path, world: World) -> Cli:
    """The command line against the demo world, with the admin token in the environment."""
    return make_cli(tmp_path, world)


def make_cli(tmp_path: Path, world: World, *, token: str | None = None) -> Cli:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = base_env(tmp_path)
    env.update(PROVISIONER_GITLAB_URL=world.url, PROVISIONER_TOKEN=token or world.token)
    return Cli(work, env)


def leftovers(folder: Path) -> list[str]:
    """Hidden staging files an edit may have left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.is_file())
