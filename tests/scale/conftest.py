"""An in-process sandbox for the scale tests, helpers to ask it (GraphQL, its counters), and the
benchmark workload's inventory and world on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from benchmarks import workload
from provisioner.facets import inventory_sections
from provisioner.inventory import load_inventory
from provisioner.inventory.spec import ProjectSpec
from provisioner.sandbox import SandboxOptions, SandboxServer
from provisioner.sandbox.seed import RITA_TOKEN, seed_projects


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


@pytest.fixture
def workload_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment variables the workload's secret references name."""
    for name, value in workload.SECRET_ENV.items():
        monkeypatch.setenv(name, value)


def workload_specs(tmp_path: Path, document: dict[str, Any]) -> list[ProjectSpec]:
    """The projects of an inventory `document`, loaded as the commands load a file."""
    path = tmp_path / "inventory.yaml"
    path.write_text(json.dumps(document), encoding="utf-8")
    return list(load_inventory(path, sections=inventory_sections()).projects)


def workload_world(server: SandboxServer, count: int) -> None:
    """`count` projects in the workload's group, and what its onboarding sections name (users, groups)."""
    seed_projects(server.state, count, group=workload.GROUP)
    for method, path, body in workload.SETUP:
        answer = requests.request(
            method,
            f"{server.url}/api/v4{path}",
            json=body,
            headers={"PRIVATE-TOKEN": server.token},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text


__all__ = [
    "RITA_TOKEN",
    "counters",
    "graphql",
    "reset_counters",
    "sandbox",
    "workload_secrets",
    "workload_specs",
    "workload_world",
]
