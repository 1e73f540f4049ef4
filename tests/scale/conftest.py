"""An in-process sandbox for the scale tests, and a helper to ask its GraphQL API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from provisioner.sandbox import SandboxOptions, SandboxServer
from provisioner.sandbox.seed import RITA_TOKEN


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxOptions(seed="demo")) as server:
        yield server


def graphql(
    server: SandboxServer, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or server.token}"}
    body = {"query": query, "variables": variables or {}}
    return requests.post(f"{server.url}/api/graphql", json=body, headers=headers, timeout=30)


def counters(server: SandboxServer) -> dict[str, Any]:
    response = requests.get(
        f"{server.url}/-/sandbox/requests", headers={"PRIVATE-TOKEN": server.token}, timeout=10
    )
    return dict(response.json())


def reset_counters(server: SandboxServer) -> None:
    requests.post(
        f"{server.url}/-/sandbox/requests/reset", headers={"PRIVATE-TOKEN": server.token}, timeout=10
    )


__all__ = ["RITA_TOKEN", "counters", "graphql", "reset_counters", "sandbox"]
