"""Transport security: TLS verification is on by default and takes a CA bundle; the token goes only to
the configured host, whatever a redirect or a pagination link says.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.ratelimit import Wait
from provisioner.sandbox import SandboxOptions
from provisioner.sandbox.server import bind, build
from tests.reliability.conftest import env_for
from tests.support import Sandbox, run_cli

TOKEN = "glpat-transport-test-token-0001"
INVENTORY = """\
version: 1
projects:
  platform/billing:
    settings: {build_timeout: 3600}
    variables:
      PIP_INDEX_URL: https://pypi.example.internal/simple
"""


# -- TLS -------------------------------------------------------------------------------------------
def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate for 127.0.0.1 that it signed: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provisioner test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def tls_sandbox(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """The sandbox's app served over HTTPS on 127.0.0.1: (url, admin token, CA bundle)."""
    ca, cert, key = _certificates(tmp_path)
    app = build(SandboxOptions(seed="demo"))
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        app,
        http="httptools",
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the TLS sandbox did not start"
        time.sleep(0.005)
    yield f"https://127.0.0.1:{sock.getsockname()[1]}", app.runtime.admin_token, ca
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_tls_verification_is_on_by_default_and_a_ca_bundle_makes_it_work(
    tls_sandbox: tuple[str, str, Path], workdir: Path
) -> None:
    url, token, ca = tls_sandbox
    (workdir / "inventory.yaml").write_text(INVENTORY)
    env = env_for(url, token, workdir)

    refused = run_cli("plan", env=env, cwd=workdir, timeout=60)
    assert refused.returncode == 1
    assert "certificate" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert "PROVISIONER_CA_BUNDLE" in refused.stdout + refused.stderr

    trusted = run_cli(
        "plan", "--detailed-exitcode", env={**env, "PROVISIONER_CA_BUNDLE": str(ca)}, cwd=workdir
    )
    assert trusted.returncode == 2, trusted.stdout + trusted.stderr  # it connected, and found changes
    assert "build_timeout: 600 → 3600" in trusted.stdout


# -- the token stays with the configured host ------------------------------------------------------
class _Recorder:
    """Headers received by the foreign host (127.0.0.2)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()


def _serve(host: str, handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def _json(
    handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


PROJECT = {
    "id": 7,
    "path_with_namespace": "platform/billing",
    "default_branch": "main",
    "empty_repo": False,
    "web_url": "",
    "build_timeout": 3600,
}


@pytest.fixture
def hosts() -> Iterator[tuple[str, str, _Recorder]]:
    """A GitLab look-alike on 127.0.0.1 that sends clients to 127.0.0.2: by a 301 for the project, by a
    `Link: rel="next"` for the variables. 127.0.0.2 records what it receives."""
    recorder = _Recorder()

    class Foreign(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with recorder.lock:
                recorder.requests.append((self.path, dict(self.headers.items())))
            _json(
                self,
                200,
                PROJECT
                if self.path.startswith("/api/v4/projects/7?") or self.path == "/api/v4/projects/7"
                else [],
            )

        def log_message(self, *args: object) -> None:
            pass

    foreign, foreign_url = _serve("127.0.0.2", Foreign)

    class Home(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/api/v4/version"):
                _json(self, 200, {"version": "18.4.0", "revision": "0"})
            elif self.path.startswith("/api/v4/projects/platform%2Fbilling"):
                self.send_response(301)
                self.send_header("Location", f"{foreign_url}/api/v4/projects/7")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path.startswith("/api/v4/projects/7/variables"):
                link = f'<{foreign_url}/api/v4/projects/7/variables?page=2&per_page=100>; rel="next"'
                _json(self, 200, [], {"Link": link, "X-Next-Page": "2"})
            else:
                _json(self, 404, {"message": "404 Not Found"})

        def log_message(self, *args: object) -> None:
            pass

    home, home_url = _serve("127.0.0.1", Home)
    yield home_url, foreign_url, recorder
    home.shutdown()
    foreign.shutdown()


def test_the_token_is_never_sent_to_another_host(hosts: tuple[str, str, _Recorder], workdir: Path) -> None:
    home_url, _, recorder = hosts
    (workdir / "inventory.yaml").write_text(INVENTORY)
    result = run_cli("plan", "--debug", env=env_for(home_url, TOKEN, workdir), cwd=workdir, timeout=60)

    paths = [path for path, _ in recorder.requests]
    assert any(p.startswith("/api/v4/projects/7/variables") for p in paths), (
        paths,
        result.stdout,
        result.stderr,
    )
    assert any(p.startswith("/api/v4/projects/7") and "variables" not in p for p in paths), paths
    for path, headers in recorder.requests:
        sent = {name.lower(): value for name, value in headers.items()}
        assert "private-token" not in sent and "authorization" not in sent, (path, sent)
        assert TOKEN not in json.dumps(headers)


# -- waits and retries ---------------------------------------------------------------------------------
def test_each_retry_is_a_line_in_the_log_and_told_to_the_progress_line(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A run that retries says so: what, which attempt, why, and how long it waits first."""
    sandbox.faults(script=[{"route": "GET /api/v4/version", "kind": "error", "status": 502, "times": 2}])
    caplog.set_level(logging.INFO, logger="provisioner.gitlab.ratelimit")
    api = GitLabApi(sandbox.url, sandbox.token)
    told: list[Wait] = []
    api.limiter.listeners.append(told.append)
    try:
        assert api.version()  # answered on the third attempt
    finally:
        api.close()
    reasons = [w.reason for w in told]
    assert reasons == [f"retry {n} of 5: GET /api/v4/version answered 502" for n in (1, 2)]
    logged = [r.getMessage() for r in caplog.records if r.name == "provisioner.gitlab.ratelimit"]
    assert logged == [str(w) for w in told]
    assert all(
        re.fullmatch(r"waiting \d\.\d s for retry \d of 5: GET /api/v4/version answered 502", str(w))
        for w in told
    )


# -- writes never follow a redirect ----------------------------------------------------------------
SECRET_VALUE = "s3cr3t-variable-value-0042"


@pytest.fixture
def redirecting() -> Iterator[tuple[str, str, _Recorder]]:
    """A GitLab look-alike on 127.0.0.1 that answers every request under /api/v4/projects/7 with the
    status in the `X-Answer` request header, pointing at 127.0.0.2, which records what it receives."""
    recorder = _Recorder()

    class Foreign(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            with recorder.lock:
                recorder.requests.append((f"{self.command} {self.path} {body}", dict(self.headers.items())))
            _json(self, 200, PROJECT)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

        def log_message(self, *args: object) -> None:
            pass

    foreign, foreign_url = _serve("127.0.0.2", Foreign)

    class Home(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if self.path.startswith("/api/v4/projects/platform%2Fbilling"):  # same origin: followed
                self.send_response(301)
                self.send_header("Location", "/api/v4/projects/7")
            elif self.path.startswith("/api/v4/projects/7") and self.command != "GET":
                self.send_response(int(self.headers.get("X-Answer", "307")))
                self.send_header("Location", f"{foreign_url}{self.path}?token=in-the-query")
            elif self.path.startswith("/api/v4/projects/7"):
                _json(self, 200, PROJECT)
                return
            else:
                _json(self, 404, {"message": "404 Not Found"})
                return
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    home, home_url = _serve("127.0.0.1", Home)
    yield home_url, foreign_url, recorder
    home.shutdown()
    foreign.shutdown()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_answered_by_a_redirect_is_an_error_naming_the_target_and_nothing_is_re_sent(
    redirecting: tuple[str, str, _Recorder], method: str, status: int
) -> None:
    from provisioner.errors import Rejected

    home_url, foreign_url, recorder = redirecting
    api = GitLabApi(home_url, TOKEN, max_retries=0)
    api.transport._gl.headers["X-Answer"] = str(status)
    call = getattr(api, method)
    args = () if method == "delete" else ({"key": "API_KEY", "value": SECRET_VALUE},)
    try:
        with pytest.raises(Rejected) as caught:
            call("/projects/7/variables", *args)
    finally:
        api.close()

    assert recorder.requests == []  # neither the body nor a bare request went to the target
    message = str(caught.value)
    assert f"{status} redirected to {foreign_url}/api/v4/projects/7/variables" in message
    assert "in-the-query" not in message and SECRET_VALUE not in message
    assert api.stats.total == 1


def test_a_read_still_follows_a_redirect_on_the_same_host(redirecting: tuple[str, str, _Recorder]) -> None:

    home_url, _, recorder = redirecting
    api = GitLabApi(home_url, TOKEN, max_retries=0)
    try:
        assert api.get("/projects/platform%2Fbilling")["id"] == 7  # a moved project's GET: 301 to its id
    finally:
        api.close()
    assert recorder.requests == []
