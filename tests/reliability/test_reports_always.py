"""check writes its JUnit, JSON and HTML reports whatever happens: the nightly job's artifacts are not
empty exactly when something is wrong. And a GitLab that cannot be reached at all fails at once (no
retries with back-off before the first answer), with a hint of where to look."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.reliability.conftest import env_for
from tests.support import Sandbox, run_cli

INVENTORY = """\
version: 1
groups:
  platform:
    group_variables: {SHARED: one}
projects:
  platform/billing:
    settings: {build_timeout: 3600}
  platform/payments:
    settings: {build_timeout: 3600}
"""
REPORTS = ["--junit", "r.xml", "--json", "r.json", "--html", "r.html"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _errors(workdir: Path) -> dict[str, str]:
    cases = ET.parse(workdir / "r.xml").getroot().iter("testcase")
    return {
        c.get("classname", ""): c.find("error").get("message", "")
        for c in cases
        if c.find("error") is not None
    }


def test_unreachable_gitlab_fails_at_once_with_a_hint_and_every_report_says_so(workdir: Path) -> None:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    env = env_for(f"http://127.0.0.1:{_closed_port()}", "glpat-unreachable-test-0001", workdir)

    result = run_cli("check", *REPORTS, env=env, cwd=workdir)

    assert result.returncode == 1
    said = result.stderr.strip()
    assert said.startswith("error: cannot use http://127.0.0.1:") and "no answer (connection refused)" in said
    for hint in ("PROVISIONER_GITLAB_URL", "HTTPS_PROXY", "PROVISIONER_CA_BUNDLE"):
        assert hint in said
    log = workdir / "provisioner.log"
    assert "retry" not in (log.read_text() if log.exists() else "")  # no back-off before failing
    # One error case per target it would have checked, with the cause.
    errors = _errors(workdir)
    assert set(errors) == {"group platform", "platform/billing", "platform/payments"}
    assert all("connection refused" in message for message in errors.values())
    report = json.loads((workdir / "r.json").read_text())
    assert {p["status"] for p in report["projects"]} == {"failed"} and report["summary"]["duration_s"] >= 0
    assert "connection refused" in (workdir / "r.html").read_text()


def test_an_inventory_that_does_not_load_is_one_error_case_for_the_run(
    sandbox: Sandbox, workdir: Path
) -> None:
    (workdir / "inventory.yaml").write_text("version: 1\nprojects:\n  platform/billing: {setings: {}}\n")
    result = run_cli("check", *REPORTS, env=env_for(sandbox.url, sandbox.token, workdir), cwd=workdir)
    assert result.returncode == 1 and "did you mean 'settings'" in result.stderr
    errors = _errors(workdir)
    assert list(errors) == ["provisioner check"]
    assert errors["provisioner check"].startswith(
        "the inventory has 1 problem(s), the first: inventory.yaml:3:"
    )


def test_a_revoked_token_is_an_error_case_for_each_project(sandbox: Sandbox, workdir: Path) -> None:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    env = env_for(sandbox.url, "glpat-revoked-token-00000001", workdir)
    result = run_cli("check", *REPORTS, env=env, cwd=workdir)
    assert result.returncode == 1
    assert set(_errors(workdir).values()) == {result.stderr.strip().removeprefix("error: ")}


def test_a_report_that_cannot_be_written_is_an_error_naming_it(sandbox: Sandbox, workdir: Path) -> None:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    (workdir / "a-file").write_text("not a folder\n")
    result = run_cli(
        "check", "--html", "a-file/r.html", env=env_for(sandbox.url, sandbox.token, workdir), cwd=workdir
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: cannot write a-file/r.html: Not a directory"
