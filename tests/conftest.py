"""Fixtures shared by every test: one in-process sandbox for the session, a fresh world per test."""

from __future__ import annotations

from collections.abc import Iterator

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
