"""Fixtures shared by every test: one in-process sandbox for the session, a fresh world per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provisioner.sandbox import SandboxOptions, SandboxServer
from provisioner.sandbox.seed import DANA_TOKEN, RITA_TOKEN
from tests.support import Api, Sandbox


@pytest.fixture(scope="session")
def _server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxOptions(seed="demo")) as server:
        yield server


def _fresh(server: SandboxServer, seed: str) -> Sandbox:
    sandbox = Sandbox(server)
    response = sandbox.admin.post("/-/sandbox/reset", json={"seed": seed})
    assert response.status_code == 200, response.text
    return sandbox


@pytest.fixture(scope="session")
def _servers() -> Iterator[dict[tuple[Any, ...], SandboxServer]]:
    servers: dict[tuple[Any, ...], SandboxServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def gitlab_at(_servers: dict[tuple[Any, ...], SandboxServer]) -> Callable[..., Sandbox]:
    """A sandbox serving another GitLab: `gitlab_at("17.0", edition="ce", seed="empty",
    enforce_job_token_allowlist=True)`. One server per set of options for the session, its world fresh
    for each call. (For a version change within a test of the demo world: `sandbox.serve_version`.)"""

    def start(version: str, *, seed: str = "demo", **options: Any) -> Sandbox:
        key = (version, tuple(sorted(options.items())))
        if key not in _servers:
            _servers[key] = SandboxServer(
                SandboxOptions(seed=seed, gitlab_version=version, **options)
            ).start()
        return _fresh(_servers[key], seed)

    return start


@pytest.fixture
def sandbox(_server: SandboxServer) -> Sandbox:
    """The demo world (seed.py docstring), fresh for this test."""
    return _fresh(_server, "demo")


@pytest.fixture
def empty(_server: SandboxServer) -> Sandbox:
    """Only the admin user and token, fresh for this test."""
    return _fresh(_server, "empty")


@pytest.fixture
def dana(sandbox: Sandbox) -> Api:
    """Developer in `platform`, `api` scope."""
    return sandbox.as_user(DANA_TOKEN)


@pytest.fixture
def rita(sandbox: Sandbox) -> Api:
    """Reporter in `data`, `read_api` scope only."""
    return sandbox.as_user(RITA_TOKEN)
