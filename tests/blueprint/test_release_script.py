"""`ci/release.py`, the release steps the pipeline runs, as a job runs them: a subprocess in the project
folder, against the sandbox's package registry or a stand-in for a trusted publishing index."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from provisioner.blueprint import render
from tests.blueprint.pipelines import PROJECT
from tests.support import Sandbox

WHEEL = "demo_pkg-1.2.3-py3-none-any.whl"
SDIST = "demo_pkg-1.2.3.tar.gz"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with the rendered ci/release.py and a dist/ as build leaves it."""
    script = tmp_path / "ci" / "release.py"
    script.parent.mkdir()
    script.write_text(render("python-package", {}, project_path=PROJECT).file("ci/release.py").text)
    (tmp_path / "dist").mkdir()
    write_wheel(tmp_path / "dist" / WHEEL, "1.2.3")
    write_sdist(tmp_path / "dist" / SDIST, "1.2.3")
    return tmp_path


def write_wheel(path: Path, version: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", "")
        archive.writestr(
            "demo_pkg-1.2.3.dist-info/METADATA",
            f"Metadata-Version: 2.4\nName: demo-pkg\nVersion: {version}\n",
        )


def write_sdist(path: Path, version: str) -> None:
    """An sdist with a second PKG-INFO further down, as setuptools makes them: only the top one counts."""
    members = [
        ("demo_pkg-1.2.3/PKG-INFO", version),
        ("demo_pkg-1.2.3/src/demo_pkg.egg-info/PKG-INFO", "9.9.9"),
    ]
    with tarfile.open(path, "w:gz") as archive:
        for name, member_version in members:
            data = f"Metadata-Version: 2.4\nName: demo-pkg\nVersion: {member_version}\n".encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def release(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "ci/release.py", *args],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- check-build, checksums ----------------------------------------------------------------------------
def test_check_build_writes_the_dotenv_and_the_checksums(project: Path) -> None:
    done = release(project, "check-build", "--tag", "v1.2.3")
    assert done.returncode == 0, done.stderr
    assert (project / "build.env").read_text() == "PKG_NAME=demo_pkg\nPKG_VERSION=1.2.3\n"
    assert (project / "SHA256SUMS").read_text() == (
        f"{sha256(project / 'dist' / WHEEL)}  {WHEEL}\n{sha256(project / 'dist' / SDIST)}  {SDIST}\n"
    )
    assert release(project, "check-build", "--tag", "").returncode == 0  # branches and other tags


@pytest.mark.parametrize(
    ("wheel", "sdist", "tag", "message"),
    [
        (
            "1.2.3",
            "1.2.4",
            "",
            f"the wheel and the sdist versions differ: {WHEEL} is 1.2.3, {SDIST} is 1.2.4",
        ),
        ("1.2.4", "1.2.4", "v1.2.3", "tag 1.2.3 does not match the built version 1.2.4"),
    ],
)
def test_check_build_refuses_versions_that_disagree(
    project: Path, wheel: str, sdist: str, tag: str, message: str
) -> None:
    write_wheel(project / "dist" / WHEEL, wheel)
    write_sdist(project / "dist" / SDIST, sdist)
    done = release(project, "check-build", "--tag", tag)
    assert (done.returncode, done.stderr) == (1, f"release.py check-build: {message}\n")
    assert not (project / "build.env").exists()


def test_checksums_accept_only_the_files_build_made(project: Path) -> None:
    assert release(project, "check-build").returncode == 0
    assert release(project, "checksums").returncode == 0
    (project / "dist" / "demo_pkg-1.2.2-py3-none-any.whl").write_bytes(b"stale")
    extra = release(project, "checksums")
    assert extra.returncode == 1 and "dist/ holds" in extra.stderr
    (project / "dist" / "demo_pkg-1.2.2-py3-none-any.whl").unlink()
    with (project / "dist" / SDIST).open("ab") as stream:
        stream.write(b"\0")
    changed = release(project, "checksums")
    assert changed.returncode == 1 and f"dist/{SDIST} is not the file build made" in changed.stderr


# -- pypi-pending, generic-upload against the sandbox ----------------------------------------------------
def job_token(sandbox: Sandbox) -> str:
    started = sandbox.admin.post("/-/sandbox/jobs", json={"project": "platform/billing", "user": "dana"})
    assert started.status_code == 201, started.text
    return str(started.json()["token"])


def twine_upload(sandbox: Sandbox, token: str, path: Path) -> None:
    data = {"name": "demo-pkg", "version": "1.2.3", "sha256_digest": sha256(path)}
    files = {"content": (path.name, path.read_bytes())}
    url = f"{sandbox.api.url}/projects/platform%2Fbilling/packages/pypi"
    response = requests.post(url, data=data, files=files, auth=("gitlab-ci-token", token), timeout=15)
    assert response.status_code == 201, response.text


def test_pypi_pending_lists_what_the_registry_lacks_and_refuses_a_different_file(
    sandbox: Sandbox, project: Path
) -> None:
    token = job_token(sandbox)
    index = f"{sandbox.api.url}/projects/platform%2Fbilling/packages/pypi/simple"
    env = {"TWINE_USERNAME": "gitlab-ci-token", "TWINE_PASSWORD": token}
    files = [f"dist/{WHEEL}", f"dist/{SDIST}"]
    first = release(project, "pypi-pending", index, *files, env=env)
    assert (first.returncode, first.stdout) == (0, f"dist/{WHEEL}\ndist/{SDIST}\n"), first.stderr

    twine_upload(sandbox, token, project / "dist" / WHEEL)  # a publish job that stopped half-way
    again = release(project, "pypi-pending", index, *files, env=env)
    assert (again.returncode, again.stdout) == (0, f"dist/{SDIST}\n")
    assert f"{WHEEL} is in the registry already, same SHA-256: skipped" in again.stderr

    write_wheel(project / "dist" / WHEEL, "1.2.3")  # rebuilt: same name, other bytes
    with zipfile.ZipFile(project / "dist" / WHEEL, "a") as archive:
        archive.writestr("demo_pkg/extra.py", "")
    other = release(project, "pypi-pending", index, *files, env=env)
    assert other.returncode == 1 and f"{WHEEL} is in the registry with another SHA-256" in other.stderr
    assert token not in other.stdout + other.stderr


@pytest.fixture
def http_server() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], str]]:
    """A loopback HTTP server answering with `respond(handler)`; gives its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(respond: Callable[[BaseHTTPRequestHandler], None]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                respond(self)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_pypi_pending_never_follows_gitlabs_forwarding_to_another_index(
    project: Path, http_server: Callable[..., str]
) -> None:
    """An unknown package is redirected to pypi.org: its files are not this registry's files."""
    other = f'<a href="x/{WHEEL}#sha256={"0" * 64}">{WHEEL}</a>'.encode()
    elsewhere = http_server(lambda h: answer(h, 200, other))
    registry = http_server(lambda h: answer(h, 302, Location=f"{elsewhere}/simple/demo-pkg/"))
    env = {"TWINE_USERNAME": "gitlab-ci-token", "TWINE_PASSWORD": "glcbt-x"}
    done = release(project, "pypi-pending", f"{registry}/simple", f"dist/{WHEEL}", env=env)
    assert (done.returncode, done.stdout) == (0, f"dist/{WHEEL}\n"), done.stderr


def test_generic_upload_skips_what_is_there_and_refuses_a_different_file(
    sandbox: Sandbox, project: Path
) -> None:
    signatures = project / "signatures"
    signatures.mkdir()
    (signatures / f"{WHEEL}.sig").write_text("MEUCIQ-signature-1")
    base = f"{sandbox.api.url}/projects/platform%2Fbilling/packages/generic/demo_pkg-signatures/1.2.3"
    env = {"CI_JOB_TOKEN": job_token(sandbox)}
    first = release(project, "generic-upload", base, f"signatures/{WHEEL}.sig", env=env)
    assert (first.returncode, first.stdout) == (0, f"{WHEEL}.sig uploaded\n"), first.stderr

    sandbox.reset_counters()
    again = release(project, "generic-upload", base, f"signatures/{WHEEL}.sig", env=env)
    assert again.stdout == f"{WHEEL}.sig is in the registry already, same SHA-256: skipped\n"
    assert sandbox.counters()["writes"] == 0

    (signatures / f"{WHEEL}.sig").write_text("MEUCIQ-signature-2")
    changed = release(project, "generic-upload", base, f"signatures/{WHEEL}.sig", env=env)
    assert (
        changed.returncode == 1 and "is in the registry with another SHA-256: not replaced" in changed.stderr
    )
    assert requests.get(
        f"{base}/{WHEEL}.sig", headers={"JOB-TOKEN": env["CI_JOB_TOKEN"]}, timeout=15
    ).text == ("MEUCIQ-signature-1")


# -- mint-token: trusted publishing ----------------------------------------------------------------------
def warehouse(audience: str, minted: dict[str, Any], status: int, seen: list[Any]) -> Callable[..., None]:
    """PyPI's side of the exchange (docs.pypi.org, trusted publishers: /_/oidc/audience, /_/oidc/mint-token)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        if handler.path == "/_/oidc/audience":
            answer(handler, 200, json.dumps({"audience": audience}).encode())
        elif handler.path == "/_/oidc/mint-token" and handler.command == "POST":
            seen.append(json.loads(handler.rfile.read(int(handler.headers["Content-Length"]))))
            answer(handler, status, json.dumps(minted).encode())
        else:
            answer(handler, 404)

    return respond


def test_mint_token_trades_the_oidc_token_for_an_upload_token(
    project: Path, http_server: Callable[..., str]
) -> None:
    seen: list[Any] = []
    index = http_server(warehouse("pypi", {"token": "pypi-short-lived", "expires": 1}, 200, seen))
    done = release(project, "mint-token", f"{index}/legacy/", "pypi", env={"PYPI_ID_TOKEN": "eyJ.oidc.jwt"})
    assert (done.returncode, done.stdout) == (0, "pypi-short-lived\n"), done.stderr
    assert seen == [{"token": "eyJ.oidc.jwt"}]


def test_mint_token_says_why_the_index_refused(project: Path, http_server: Callable[..., str]) -> None:
    errors = {
        "errors": [
            {"code": "invalid-publisher", "description": "valid token, but no corresponding publisher"}
        ]
    }
    index = http_server(warehouse("pypi", errors, 422, []))
    done = release(project, "mint-token", f"{index}/legacy/", "pypi", env={"PYPI_ID_TOKEN": "eyJ.oidc.jwt"})
    assert done.returncode == 1
    assert (
        "refused the token exchange (422): invalid-publisher: valid token, but no corresponding publisher"
        in done.stderr
    )
    assert "eyJ.oidc.jwt" not in done.stdout + done.stderr


def test_mint_token_checks_the_audience_and_the_token(project: Path, http_server: Callable[..., str]) -> None:
    index = http_server(warehouse("testpypi", {}, 200, []))
    wrong = release(project, "mint-token", f"{index}/legacy/", "pypi", env={"PYPI_ID_TOKEN": "eyJ.oidc.jwt"})
    assert (
        wrong.returncode == 1
        and "expects the audience 'testpypi', the pipeline asks for 'pypi'" in wrong.stderr
    )
    missing = release(project, "mint-token", f"{index}/legacy/", "testpypi")
    assert missing.returncode == 1 and "PYPI_ID_TOKEN is empty" in missing.stderr


def test_the_script_is_clean_python(project: Path) -> None:
    lint = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "E,F,W,B,UP,SIM",
            "--line-length",
            "120",
            "ci/release.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    usage = release(project, "no-such-command")
    assert usage.returncode == 2 and "check-build [--tag TAG]" in usage.stderr


def test_generic_upload_reads_a_file_in_object_storage_without_the_token(
    project: Path, http_server: Callable[..., str]
) -> None:
    """GitLab.com answers a download with a redirect to a signed object storage URL: the file is compared
    there, and the job token is not sent to the storage host."""
    (project / "signatures").mkdir()
    (project / "signatures" / "a.sig").write_text("signature")
    seen: list[str | None] = []

    def storage(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("JOB-TOKEN"))
        answer(handler, 200, b"signature")

    bucket = http_server(storage)
    registry = http_server(lambda h: answer(h, 302, Location=f"{bucket}/signed?X-Goog-Signature=abc"))
    done = release(
        project,
        "generic-upload",
        f"{registry}/generic/sigs/1.2.3",
        "signatures/a.sig",
        env={"CI_JOB_TOKEN": "glcbt-x"},
    )
    assert (done.returncode, done.stdout) == (
        0,
        "a.sig is in the registry already, same SHA-256: skipped\n",
    ), done.stderr
    assert seen == [None]
