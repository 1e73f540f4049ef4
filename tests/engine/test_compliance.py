"""Compliance a security team can rely on (issue 12), through the real CLI against the sandbox:
every project under the inventory's groups covered or reported, check without secrets, no value of
GitLab's in any report."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.test_secrets_everywhere import leaks
from tests.support import Sandbox, run_cli

UNLISTED = "platform/unlisted"  # created behind the tool's back, after the inventory was written
BEHIND = "hunter22-behind-the-back"  # a variable's value no inventory states
SONAR = "sonar-token-never-given-9f3a"


def cli(sandbox: Sandbox, workdir: Path, *args: str, **env: str) -> Any:
    base = {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_LOG_FILE": str(workdir / "provisioner.log"),
    }
    return run_cli(*args, env={**base, **env}, cwd=workdir)


@pytest.fixture
def workdir(tmp_path: Path, sandbox: Sandbox) -> Path:
    group_id = sandbox.api.get("/groups/platform").json()["id"]
    created = sandbox.api.post(
        "/projects", json={"name": "unlisted", "path": "unlisted", "namespace_id": group_id}
    )
    assert created.status_code == 201, created.text
    return tmp_path


def write(workdir: Path, text: str) -> None:
    (workdir / "inventory.yaml").write_text(textwrap.dedent(text))


LISTED = """\
    version: 1
    {extra}
    groups:
      platform:
        settings: {{build_timeout: 7200}}
        {coverage}
    projects:
      platform/billing: {{}}
      platform/payments: {{}}
      platform/auth-service: {{}}
      platform/libs/common-utils: {{}}
      platform/libs/http-client: {{}}
"""


def test_a_project_no_entry_names_is_reported_as_not_covered(sandbox: Sandbox, workdir: Path) -> None:
    write(workdir, LISTED.format(extra="", coverage=""))
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 0

    check = cli(
        sandbox, workdir, "check", "--junit", "check.xml", "--json", "check.json", "--html", "check.html"
    )

    assert check.returncode == 2, check.stdout + check.stderr
    assert f"project {UNLISTED} is not covered" in check.stdout
    junit = (workdir / "check.xml").read_text()
    assert f'classname="{UNLISTED}" name="coverage"' in junit and "<failure" in junit
    report = json.loads((workdir / "check.json").read_text())
    (entry,) = [p for p in report["projects"] if p["project"] == UNLISTED]
    assert entry["status"] == "uncovered" and entry["uncovered"]
    assert UNLISTED in (workdir / "check.html").read_text()
    # plan shows it too, and has nothing to write for it
    plan = cli(sandbox, workdir, "plan", "--detailed-exitcode")
    assert plan.returncode == 0 and "not covered" in plan.stdout


def test_uncovered_ignore_turns_the_finding_off(sandbox: Sandbox, workdir: Path) -> None:
    write(workdir, LISTED.format(extra="uncovered: ignore", coverage=""))
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 0
    check = cli(sandbox, workdir, "check")
    assert check.returncode == 0, check.stdout
    assert UNLISTED not in check.stdout


def test_a_coverage_rule_manages_every_project_of_its_group_now_and_later(
    sandbox: Sandbox, workdir: Path
) -> None:
    write(workdir, LISTED.format(extra="", coverage="coverage: {exclude: [platform/libs/*]}"))

    plan = cli(sandbox, workdir, "plan", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    planned = {p["project"]: p for p in json.loads(plan.stdout)["projects"]}
    assert [c["after"] for c in planned[UNLISTED]["changes"]] == [{"build_timeout": 7200}]

    sandbox.reset_counters()
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 0
    unlisted = sandbox.api.get(f"/projects/{UNLISTED.replace('/', '%2F')}").json()
    assert unlisted["build_timeout"] == 7200
    sandbox.reset_counters()
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 0
    assert sandbox.counters()["writes"] == 0  # idempotent for covered projects too
    assert cli(sandbox, workdir, "check").returncode == 0

    # -p selects a covered project like a listed one
    only = cli(sandbox, workdir, "plan", "-p", UNLISTED, "--format", "json")
    assert [p["project"] for p in json.loads(only.stdout)["projects"]] == [UNLISTED]


def test_an_excluded_project_is_neither_managed_nor_reported(sandbox: Sandbox, workdir: Path) -> None:
    inventory = LISTED.format(extra="", coverage="coverage: {exclude: [platform/unlisted]}")
    write(workdir, inventory)
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 0
    check = cli(sandbox, workdir, "check")
    assert check.returncode == 0 and UNLISTED not in check.stdout
    kept = sandbox.api.get(f"/projects/{UNLISTED.replace('/', '%2F')}").json()
    assert kept["build_timeout"] != 7200


def test_a_coverage_rule_on_a_group_the_token_cannot_see_fails_the_check(
    sandbox: Sandbox, workdir: Path
) -> None:
    """A rule that covers nothing because its group is missing or hidden is no warning to scroll past:
    the nightly job would otherwise pass over the whole group."""
    hidden = LISTED.replace("    groups:\n", "    groups:\n      hidden-team: {{coverage: {{}}}}\n")
    write(workdir, hidden.format(extra="", coverage="coverage: {}"))
    check = cli(sandbox, workdir, "check", "--junit", "check.xml", "--json", "check.json")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "group hidden-team: coverage: its coverage rule covers nothing" in check.stdout
    junit = (workdir / "check.xml").read_text()
    assert 'classname="group hidden-team" name="coverage"' in junit and 'type="not_found"' in junit
    assert 'classname="group hidden-team" name="project"' not in junit  # no passing case beside it
    (failed,) = json.loads((workdir / "check.json").read_text())["summary"]["failed"]
    assert "hidden-team" in str(failed)


SECRETS = """\
    version: 1
    projects:
      platform/billing:
        variables:
          SONAR_TOKEN: {secret: "env:FINTECH_SONAR_TOKEN", masked: true, protected: true}
          LEVEL: debug
"""


def test_check_needs_no_secret_and_says_what_it_did_not_verify(sandbox: Sandbox, workdir: Path) -> None:
    write(workdir, SECRETS)
    assert cli(sandbox, workdir, "apply", "--yes", FINTECH_SONAR_TOKEN=SONAR).returncode == 0

    check = cli(sandbox, workdir, "check", "--junit", "check.xml", "--json", "check.json")

    assert check.returncode == 0, check.stdout + check.stderr
    assert "value not verified" in check.stdout and "FINTECH_SONAR_TOKEN" in check.stdout
    junit = (workdir / "check.xml").read_text()
    assert (
        '<skipped message="value not verified: environment variable FINTECH_SONAR_TOKEN is not set' in junit
    )
    (billing,) = json.loads((workdir / "check.json").read_text())["projects"]
    assert [c["action"] for c in billing["not_checked"]] == ["unverified"]

    # ...but everything else of the variable is still compared
    sandbox.api.put("/projects/platform%2Fbilling/variables/SONAR_TOKEN", json={"protected": False})
    drift = cli(sandbox, workdir, "check")
    assert drift.returncode == 2 and "protected: GitLab has false; the inventory wants true" in drift.stdout

    strict = cli(sandbox, workdir, "check", "--require-secrets")
    assert strict.returncode == 1 and "FINTECH_SONAR_TOKEN is not set" in strict.stderr
    assert cli(sandbox, workdir, "apply", "--yes").returncode == 1  # apply needs the value
    assert cli(sandbox, workdir, "validate").returncode == 1


def test_no_report_carries_a_value_the_inventory_does_not_state(sandbox: Sandbox, workdir: Path) -> None:
    write(workdir, SECRETS)
    sandbox.api.post("/projects/platform%2Fbilling/variables", json={"key": "UNLISTED_VAR", "value": BEHIND})
    sandbox.api.put("/projects/platform%2Fbilling/variables/LEGACY_FLAG", json={"value": BEHIND + "-2"})
    outputs = [
        cli(sandbox, workdir, "check", "--json", "c.json", "--junit", "c.xml", "--html", "c.html"),
        cli(sandbox, workdir, "check", "--format", "json"),
        cli(sandbox, workdir, "plan", "--format", "json", "--out", "plan.json"),
        cli(sandbox, workdir, "plan"),
        cli(sandbox, workdir, "apply", "--yes", "--format", "json", FINTECH_SONAR_TOKEN=SONAR),
        cli(sandbox, workdir, "apply", "--yes", FINTECH_SONAR_TOKEN=SONAR),
    ]
    texts = [o.stdout + o.stderr for o in outputs]
    texts += [
        (workdir / f).read_text() for f in ("c.json", "c.xml", "c.html", "plan.json", "provisioner.log")
    ]
    assert all("UNLISTED_VAR" in t for t in texts[:4])  # reported, by key
    assert outputs[4].returncode == 0, texts[4]  # apply wrote the inventory's value over GitLab's
    assert leaks("\n".join(texts), [BEHIND, BEHIND + "-2", SONAR]) == []


def test_import_writes_secret_references_never_values(sandbox: Sandbox, workdir: Path) -> None:
    sandbox.api.post("/projects/platform%2Fbilling/variables", json={"key": "DB_PASSWORD", "value": BEHIND})
    imported = cli(sandbox, workdir, "import", "platform", "--out", "imported.yaml")
    assert imported.returncode == 0, imported.stderr
    text = (workdir / "imported.yaml").read_text()
    assert BEHIND not in text
    assert "DB_PASSWORD:  # value not imported" in text and "secret: env:DB_PASSWORD" in text
    assert "give the run env:DB_PASSWORD" in text
    assert "secret value" in imported.stderr and "not imported" in imported.stderr
    (workdir / "inventory.yaml").write_text(text)
    plan = cli(sandbox, workdir, "plan", "--detailed-exitcode")  # no secret given: nothing to change
    assert plan.returncode == 0, plan.stdout + plan.stderr
