"""Helpers for the reliability tests: running the CLI against the sandbox, and counting what exists.

What exists is always measured through the API as an administrator, never through the tool's own
report: a duplicate runner or a lost variable must be seen on "GitLab", whatever the tool believes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT, Sandbox, enc, run_cli

# Short enough that an injected timeout costs about a second, long enough for a loaded 2-core box.
CLIENT_TIMEOUT = "1"
SERVER_TIMEOUT = 1.5
API_KEY = "rel-api-key-0123456789abcdef"  # a secret variable value, from the environment
FAULT_KINDS = ["error", "drop_before", "drop_after", "timeout"]
RUNNER = "bulk-docker"
DEPLOY_TOKEN = "ci-read"
TRAILER = "Provisioner-Blueprint:"


def bulk_inventory(paths: Iterable[str], group: str = "bulk", *, everything: bool = False) -> str:
    """Every project of `group` gets settings, plain, scoped and secret variables; the group a variable.

    `everything`: also the blueprint's files (one commit, or a merge request where pushing is not
    allowed), a project runner and a deploy token (their one-time tokens to the keyring), protected
    release tags: every kind of thing GitLab does not create idempotently.
    """
    head = f"""\
        version: 1
        groups:
          {group}:
            settings: {{build_timeout: 3600, ci_default_git_depth: 20, auto_cancel_pending_pipelines: enabled}}
            variables:
              prune: true
              PIP_INDEX_URL: https://pypi.example.internal/simple
              API_KEY: {{secret: "env:REL_API_KEY", masked: true, protected: true}}
              DEPLOY_TARGET:
                - {{value: prod-cluster, environment_scope: production}}
                - {{value: staging-cluster, environment_scope: staging}}
            group_variables:
              GROUP_WIDE: shared-value
        """
    more = f"""\
            blueprint: python-package
            runners:
              create: [{{description: {RUNNER}, tags: [docker, bulk]}}]
            registry:
              deploy_tokens: [{{name: {DEPLOY_TOKEN}, scopes: [read_registry]}}]
            protection:
              tags: {{"v*": {{create_access_level: maintainer}}}}
        """
    body = textwrap.dedent(head) + (textwrap.indent(textwrap.dedent(more), "    ") if everything else "")
    body += "projects:\n"
    return body + "".join(f"  {path}: {{}}\n" for path in paths)


def forbid_pushes(sandbox: Sandbox, path: str) -> None:
    """Nobody may push to the default branch (the tool included): its files go through a merge request."""
    project = enc(path)
    assert sandbox.api.delete(f"/projects/{project}/protected_branches/main").status_code == 204
    rule = {"name": "main", "push_access_level": 0, "merge_access_level": 40}
    assert sandbox.api.post(f"/projects/{project}/protected_branches", json=rule).status_code == 201


def seed_projects(sandbox: Sandbox, count: int, group: str = "bulk") -> list[str]:
    """`count` projects, each with a variable to prune and every other one a stale value to update."""
    response = sandbox.admin.post("/-/sandbox/seed", json={"projects": count, "group": group})
    assert response.status_code == 200, response.text
    paths = [f"{group}/project-{i:05d}" for i in range(count)]
    for i, path in enumerate(paths):
        stale = {"LEGACY_FLAG": "1"} | ({"PIP_INDEX_URL": "https://old.example/simple"} if i % 2 else {})
        for key, value in stale.items():
            created = sandbox.api.post(f"/projects/{enc(path)}/variables", json={"key": key, "value": value})
            assert created.status_code == 201, created.text
    return paths


def cli_env(sandbox: Sandbox, workdir: Path, **extra: str) -> dict[str, str]:
    return env_for(sandbox.url, sandbox.token, workdir, **extra)


def env_for(url: str, token: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The CLI's environment: this GitLab and token, short timeouts, files and keyring in `workdir`."""
    env = {
        "PROVISIONER_GITLAB_URL": url,
        "PROVISIONER_TOKEN": token,
        "PROVISIONER_TIMEOUT": CLIENT_TIMEOUT,
        "PROVISIONER_LOG_FILE": str(workdir / "provisioner.log"),
        "PROVISIONER_CONFIG": str(workdir / "no-config.toml"),
        "REL_API_KEY": API_KEY,
        "HOME": str(workdir / "home"),
        "XDG_DATA_HOME": str(workdir / "home" / "data"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }
    env.update(extra)
    return env


def cli(sandbox: Sandbox, workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=cli_env(sandbox, workdir, **env), cwd=workdir, timeout=240)


def start_cli(sandbox: Sandbox, workdir: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """The CLI as a child process we can signal; its output goes to files in `workdir`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GITLAB_"))}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(cli_env(sandbox, workdir, **env))
    return subprocess.Popen(
        [sys.executable, "-m", "provisioner", *args],
        env=environment,
        cwd=workdir,
        stdout=(workdir / "stdout.txt").open("w"),
        stderr=(workdir / "stderr.txt").open("w"),
        text=True,
        start_new_session=True,  # signals reach only this process, never pytest
    )


def kill(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.kill(process.pid, sig)


@dataclass
class Census:
    """What exists on the server, counted by identity: anything counted twice is a duplicate."""

    variables: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # project, key, scope
    values: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    runners: Counter[tuple[str, str]] = field(default_factory=Counter)  # project, description
    deploy_tokens: Counter[tuple[str, str]] = field(default_factory=Counter)  # project, name
    merge_requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # project, target branch
    commits: Counter[tuple[str, str]] = field(default_factory=Counter)  # project, branch: the tool's commits

    def duplicates(self) -> dict[str, list[Any]]:
        found = {}
        for name in ("variables", "runners", "deploy_tokens", "merge_requests", "commits"):
            twice = [key for key, n in getattr(self, name).items() if n > 1]
            if twice:
                found[name] = twice
        return found


def census(sandbox: Sandbox, paths: Iterable[str]) -> Census:
    """Count, through the API, every thing the tool creates on each project."""
    api = sandbox.api
    seen = Census()
    for path in paths:
        project = api.get(f"/projects/{enc(path)}").json()
        pid = project["id"]
        for v in _all(sandbox, f"/projects/{pid}/variables"):
            seen.variables[(path, v["key"], v["environment_scope"])] += 1
            seen.values[(path, v["key"], v["environment_scope"])] = v["value"]
        for r in _all(sandbox, f"/projects/{pid}/runners", type="project_type"):
            seen.runners[(path, r.get("description") or "")] += 1
        for t in _all(sandbox, f"/projects/{pid}/deploy_tokens"):
            if not t.get("revoked") and not t.get("expired"):
                seen.deploy_tokens[(path, t["name"])] += 1
        branches = [project["default_branch"]] if project.get("default_branch") else []
        for mr in _all(sandbox, f"/projects/{pid}/merge_requests", state="opened"):
            seen.merge_requests[(path, mr["target_branch"])] += 1
            branches.append(mr["source_branch"])
        for branch in branches:
            for c in _all(sandbox, f"/projects/{pid}/repository/commits", ref_name=branch):
                if TRAILER in c["message"]:
                    seen.commits[(path, branch)] += 1
    return seen


def _all(sandbox: Sandbox, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = sandbox.api.get(path, params={**params, "per_page": 100, "page": page})
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        chunk = response.json()
        items += chunk
        if len(chunk) < 100:
            return items
        page += 1


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path


def keyring_of(workdir: Path) -> Any:
    """The file keyring the CLI runs of this test kept their one-time tokens in."""
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(workdir / "home" / "data" / "python_keyring" / "keyring_pass.cfg")
    return backend
