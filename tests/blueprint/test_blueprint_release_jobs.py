"""The release jobs run (issue 14, "the release jobs tested"): gitlab-ci-local runs build, sign, verify,
publish, publish-signatures and consumer-verify of a project rendered with key signing, in the shell
executor, against the sandbox's package registry on loopback as the project's GitLab instance. Each job
gets the token of a running sandbox job as CI_JOB_TOKEN, as GitLab gives one to each job.

Key signing is what runs here: keyless signing needs a Sigstore instance, which cannot be reached; every
step around it (the file set, checksums, uploads, downloads, the consumer) is the same code.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.sandbox import SandboxServer
from tests.support import Sandbox

if TYPE_CHECKING:
    from conftest import CiLocal  # the session fixture `ci_local` (conftest.py beside this file)

pytestmark = pytest.mark.pipeline

TAG = "v1.2.3"
WHEEL = "demo_pkg-1.2.3-py3-none-any.whl"
SDIST = "demo_pkg-1.2.3.tar.gz"


def openssl(*args: str, data: str = "") -> str:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, text=True, check=True).stdout


@dataclass
class Release:
    """A rendered project whose release jobs run against the sandbox."""

    ci_local: CiLocal
    sandbox: Sandbox
    project: Path
    project_id: int
    signing_key: str  # base64 of the PEM private key, as the masked variable holds it

    def run(self, job: str, *extra: str, signing_key: str | None = None) -> subprocess.CompletedProcess[str]:
        """One job, with a fresh job token of the sandbox, as GitLab would start it on a protected tag."""
        key = signing_key or self.signing_key
        started = self.sandbox.admin.post(
            "/-/sandbox/jobs", json={"project": self.project_id, "user": "releaser"}
        )
        assert started.status_code == 201, started.text
        host = self.sandbox.url.removeprefix("http://")
        variables = {
            "CI_COMMIT_TAG": TAG,
            "CI_COMMIT_REF_PROTECTED": "true",
            "CI_JOB_TOKEN": started.json()["token"],
            "CI_API_V4_URL": f"{self.sandbox.url}/api/v4",
            "CI_SERVER_FQDN": host,
            "CI_SERVER_PROTOCOL": "http",
            "CI_PROJECT_ID": str(self.project_id),
            "SIGNING_KEY": key,
        }
        args = [arg for name, value in variables.items() for arg in ("--variable", f"{name}={value}")]
        result = self.ci_local.run(self.project, "--force-shell-executor", *args, *extra, job)
        self.sandbox.admin.post(f"/-/sandbox/jobs/{started.json()['id']}/finish")
        assert key not in result.stdout + result.stderr  # the key never reaches a log
        return result

    def packages(self) -> dict[tuple[str, str], dict[str, bytes]]:
        """(type, name) -> file name -> content, straight from the sandbox's state."""
        state = self.sandbox.state
        return {
            (p.package_type, p.name): {f.file_name: state.blobs[f.blob] for f in p.files}
            for p in state.packages.values()
        }


def passed(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


@pytest.fixture(scope="module")
def release(
    ci_local: CiLocal, _server: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Release]:
    sandbox = Sandbox(_server)
    assert sandbox.admin.post("/-/sandbox/reset", json={"seed": "empty"}).status_code == 200
    group = sandbox.api.post("/groups", json={"name": "demo", "path": "demo"}).json()
    project = sandbox.api.post("/projects", json={"name": "demo-pkg", "namespace_id": group["id"]}).json()
    user_id, _ = sandbox.user_with_token("releaser")
    sandbox.add_member("projects", project["id"], user_id, 40)

    private = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    public = openssl("pkey", "-pubout", data=private)
    where = tmp_path_factory.mktemp("release") / "demo-pkg"
    args = ["blueprint", "render", "python-package", "--out", str(where), "--project", "demo/demo-pkg"]
    for pair in ("python_versions=['3.11']", "signing=key", f"signing_public_key={public}"):
        args += ["--var", pair]
    rendered = CliRunner().invoke(app, args)
    assert rendered.exit_code == 0, rendered.output
    for command in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://gitlab.example.com/demo/demo-pkg.git"],
        ["add", "-A"],
        ["commit", "-q", "-m", "Scaffold"],
        ["tag", TAG],
    ):
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *command], cwd=where, check=True
        )
    yield Release(ci_local, sandbox, where, project["id"], base64.b64encode(private.encode()).decode())


@pytest.fixture(scope="module")
def released(release: Release) -> Release:
    """build, sign, verify, publish, publish-signatures: each job passes."""
    for job in ("build", "sign", "verify", "publish", "publish-signatures"):
        passed(release.run(job))
    return release


def test_publish_uploads_the_wheel_and_sdist_build_made(released: Release) -> None:
    dist = released.project / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [WHEEL, SDIST]  # the tag's version, from metadata too
    with zipfile.ZipFile(dist / WHEEL) as archive:
        assert "Version: 1.2.3\n" in archive.read("demo_pkg-1.2.3.dist-info/METADATA").decode()
    dotenv = released.project / ".gitlab-ci-local" / "artifacts" / "build" / ".gitlab-ci-reports" / "dotenv"
    assert (dotenv / "build.env").read_text() == "PKG_NAME=demo_pkg\nPKG_VERSION=1.2.3\n"
    assert released.packages()[("pypi", "demo-pkg")] == {
        WHEEL: (dist / WHEEL).read_bytes(),
        SDIST: (dist / SDIST).read_bytes(),
    }
    sums = (released.project / "SHA256SUMS").read_text()
    assert sums == "".join(
        f"{hashlib.sha256((dist / n).read_bytes()).hexdigest()}  {n}\n" for n in (WHEEL, SDIST)
    )


def test_publish_signatures_uploads_signatures_that_verify(released: Release) -> None:
    signatures = released.packages()[("generic", "demo_pkg-signatures")]
    assert sorted(signatures) == [f"{WHEEL}.sig", f"{SDIST}.sig"]
    public = released.project / "public.pem"
    public.write_text(openssl("pkey", "-pubout", data=base64.b64decode(released.signing_key).decode()))
    for name, signature in signatures.items():
        der = released.project / "signature.der"
        der.write_bytes(base64.b64decode(signature))
        target = released.project / "dist" / name.removesuffix(".sig")
        assert (
            openssl("dgst", "-sha256", "-verify", str(public), "-signature", str(der), str(target))
            == "Verified OK\n"
        )


def test_running_the_publish_jobs_again_writes_nothing(released: Release) -> None:
    """GitLab refuses a repeated PyPI file with 400: a re-run used to fail. It now skips what is there."""
    released.sandbox.reset_counters()
    publish = passed(released.run("publish"))
    assert f"{WHEEL} is in the registry already, same SHA-256: skipped" in publish
    signatures = passed(released.run("publish-signatures"))
    assert f"{WHEEL}.sig is in the registry already, same SHA-256: skipped" in signatures
    assert released.sandbox.counters()["writes"] == 0


def test_the_consumer_installs_this_release_whatever_the_machine_has(
    released: Release, tmp_path: Path
) -> None:
    """A wheel of an earlier release in the job's folder, and pip configuration pointing at other
    indexes and at a look-alike wheel, must not change what the consumer installs."""
    stale = released.project / "consumer" / "pkgs" / "demo_pkg-1.2.2-py3-none-any.whl"
    stale.parent.mkdir(parents=True)
    stale.write_bytes((released.project / "dist" / WHEEL).read_bytes())
    lookalikes = tmp_path / "wheels"
    lookalikes.mkdir()
    with zipfile.ZipFile(lookalikes / WHEEL, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", "raise SystemExit('not the release')\n")
    machine = [
        "--variable",
        f"PIP_FIND_LINKS={lookalikes}",
        "--variable",
        "PIP_INDEX_URL=http://127.0.0.1:9/simple",
    ]
    output = passed(released.run("consumer-verify", *machine))
    assert f"{released.sandbox.url}/api/v4/projects/{released.project_id}/packages/pypi/files/" in output
    assert f"{WHEEL}: OK" in output  # the registry's copy is build's
    assert "Verified OK" in output  # its signature, downloaded from the generic registry
    assert "demo_pkg 1.2.3 installed" in output


def test_publish_refuses_files_build_did_not_make(released: Release) -> None:
    extra = released.project / "dist" / "demo_pkg-1.2.2-py3-none-any.whl"
    extra.write_bytes(b"left over")
    try:
        result = released.run("publish")
    finally:
        extra.unlink()
    assert result.returncode != 0 and "FAIL  publish" in result.stdout
    assert "release.py checksums: dist/ holds" in result.stdout + result.stderr


def test_sign_refuses_a_key_that_is_not_the_declared_one(released: Release) -> None:
    other = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    result = released.run("sign", signing_key=base64.b64encode(other.encode()).decode())
    assert result.returncode != 0 and "FAIL  sign" in result.stdout
    assert "SIGNING_KEY is not the private half of SIGNING_PUBLIC_KEY" in result.stdout + result.stderr
