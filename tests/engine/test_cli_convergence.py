"""plan -> apply -> apply -> check through the real CLI against the sandbox over HTTP.

The idempotence contract: the second apply makes zero writes (sandbox counters), check then exits 0,
and no secret value appears in any output, log, plan file or report.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from tests.support import Sandbox, run_cli

SECRET_ENV = "pypi-token-from-env-0123456789"
SECRET_FILE = "reports-key-from-file-987654321"
INVENTORY = """\
    version: 1
    defaults:
      settings: {build_timeout: 3600, auto_cancel_pending_pipelines: enabled, ci_default_git_depth: 20}
    groups:
      platform:
        variables:
          PIP_INDEX_URL: https://pypi.example.internal/simple
      data:
        group_variables:
          DATA_LAKE_URL: s3://lake/curated
    projects:
      platform/billing:
        settings: {only_allow_merge_if_pipeline_succeeds: true}
        variables:
          PYPI_TOKEN: {secret: "env:DEMO_PYPI_TOKEN", masked: true, protected: true}
      data/reports:
        variables:
          REPORTS_API_KEY: {secret: "file:reports-key.txt", masked: true}
          DEPLOY_TARGET:
            - {value: prod-cluster-2, environment_scope: production}
            - {value: staging-cluster, environment_scope: staging}
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(textwrap.dedent(INVENTORY))
    (tmp_path / "reports-key.txt").write_text(SECRET_FILE + "\n")
    return tmp_path


def cli(sandbox: Sandbox, workdir: Path, *args: str, env: dict[str, str] | None = None):
    environment = {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "DEMO_PYPI_TOKEN": SECRET_ENV,
        "PROVISIONER_LOG_FILE": str(workdir / "provisioner.log"),
        **(env or {}),
    }
    return run_cli(*args, env=environment, cwd=workdir)


def test_plan_apply_apply_check_converges_with_zero_writes_and_no_secret_anywhere(
    sandbox: Sandbox, workdir: Path
):
    outputs: list[str] = []

    plan = cli(sandbox, workdir, "plan", "--detailed-exitcode", "--out", "plan.json", "--debug")
    outputs += [plan.stdout, plan.stderr]
    assert plan.returncode == 2, plan.stderr
    assert "build_timeout: 600 → 3600" in plan.stdout
    assert "variable PYPI_TOKEN" in plan.stdout and "(sensitive)" in plan.stdout
    assert (
        "variable LEGACY_FLAG is not in the inventory: left as it is" in plan.stdout
    )  # reported, never deleted without prune

    sandbox.reset_counters()
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json", "--format", "json")
    outputs += [apply.stdout, apply.stderr]
    assert apply.returncode == 0, apply.stdout + apply.stderr
    report = json.loads(apply.stdout)
    assert {p["status"] for p in report["projects"]} == {"applied"}
    assert sandbox.counters()["writes"] > 0

    sandbox.reset_counters()
    again = cli(sandbox, workdir, "apply", "--yes", "--debug")
    outputs += [again.stdout, again.stderr]
    assert again.returncode == 0, again.stderr
    assert sandbox.counters()["writes"] == 0  # idempotence: the second run writes nothing

    check = cli(
        sandbox, workdir, "check", "--junit", "check.xml", "--json", "check.json", "--html", "check.html"
    )
    outputs += [check.stdout, check.stderr]
    assert check.returncode == 0, check.stdout + check.stderr
    empty_plan = cli(sandbox, workdir, "plan", "--detailed-exitcode")
    assert empty_plan.returncode == 0, empty_plan.stdout

    # The values really are on GitLab.
    token = sandbox.api.get("/projects/platform%2Fbilling/variables/PYPI_TOKEN").json()
    assert token["value"] == SECRET_ENV and token["masked"] and token["protected"]
    lake = sandbox.api.get("/groups/data/variables/DATA_LAKE_URL").json()
    assert lake["value"] == "s3://lake/curated"

    files = [
        workdir / "plan.json",
        workdir / "check.xml",
        workdir / "check.json",
        workdir / "check.html",
        workdir / "provisioner.log",
    ]
    everything = "\n".join(outputs + [f.read_text() for f in files])
    for secret in (SECRET_ENV, SECRET_FILE, sandbox.token):
        assert secret not in everything


def test_check_reports_drift_with_exit_2_and_junit_failures(sandbox: Sandbox, workdir: Path):
    check = cli(sandbox, workdir, "check", "--junit", "check.xml")
    assert check.returncode == 2, check.stderr
    junit = (workdir / "check.xml").read_text()
    assert 'classname="platform/billing" name="settings"' in junit
    assert "<failure" in junit
    assert sandbox.counters()["writes"] == 0


def test_saved_plan_is_refused_whole_naming_what_changed_when_gitlab_changed_since(
    sandbox: Sandbox, workdir: Path
):
    """Issue 19, item 6: one target moved, so nothing is applied, to any target."""
    assert cli(sandbox, workdir, "plan", "--out", "plan.json").returncode == 0
    sandbox.api.put("/projects/platform%2Fbilling", json={"build_timeout": 7200})  # someone else changes it
    sandbox.reset_counters()
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json")
    assert apply.returncode == 1
    assert (
        "GitLab changed since the plan was made: platform/billing: settings: project settings: "
        "build_timeout: GitLab had 600 when planned, 7200 now" in apply.stderr
    ), apply.stderr
    assert sandbox.counters()["writes"] == 0  # data/reports and the group were approved too: not applied


def test_saved_plan_is_refused_for_a_group_when_gitlab_changed_since(sandbox: Sandbox, workdir: Path):
    """A group is a target like a project: its approved changes are the only ones apply makes."""
    assert cli(sandbox, workdir, "plan", "--out", "plan.json").returncode == 0
    planned = json.loads((workdir / "plan.json").read_text())
    (group,) = [p for p in planned["projects"] if p["project"] == "group data"]
    assert [(c["target"], c["action"]) for c in group["changes"]] == [("variable DATA_LAKE_URL", "update")]
    # Someone changes it behind the tool's back: applying now would be an update nobody approved.
    sandbox.api.put("/groups/data/variables/DATA_LAKE_URL", json={"value": "s3://elsewhere"})
    sandbox.reset_counters()
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json")
    assert apply.returncode == 1
    assert "group data: group_variables: variable DATA_LAKE_URL: value" in apply.stderr, apply.stderr
    assert sandbox.counters()["writes"] == 0
    (kept,) = [v for v in sandbox.api.get("/groups/data/variables").json() if v["key"] == "DATA_LAKE_URL"]
    assert kept["value"] == "s3://elsewhere"


def test_a_secret_changed_since_the_plan_refuses_it_and_the_plan_holds_no_plain_hash(
    sandbox: Sandbox, workdir: Path
):
    """Issue 19, item 6: the plan records references; a keyed fingerprint says the value moved."""
    assert cli(sandbox, workdir, "plan", "--out", "plan.json").returncode == 0
    saved = (workdir / "plan.json").read_text()
    for value in (SECRET_ENV, SECRET_FILE):
        assert value not in saved and hashlib.sha256(value.encode()).hexdigest() not in saved
    (workdir / "reports-key.txt").write_text("reports-key-rotated-by-someone-42\n")
    sandbox.reset_counters()
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json")
    assert apply.returncode == 1
    assert (
        "the secret value of data/reports: variables.REPORTS_API_KEY changed since the plan was made"
        in apply.stderr
    ), apply.stderr
    assert sandbox.counters()["total"] == sandbox.counters()["by_route"].get("GET /api/v4/version", 0)


def test_a_plan_checked_with_another_key_says_so(sandbox: Sandbox, workdir: Path):
    assert cli(sandbox, workdir, "plan", "--out", "plan.json").returncode == 0
    elsewhere = cli(sandbox, workdir, "apply", "--plan", "plan.json", env={"PROVISIONER_PLAN_KEY": "k" * 40})
    assert elsewhere.returncode == 1
    assert "another plan key" in elsewhere.stderr and "PROVISIONER_PLAN_KEY" in elsewhere.stderr


def test_a_plan_saved_for_some_projects_applies_them_and_nothing_else(sandbox: Sandbox, workdir: Path):
    """Issue 19, item 6: `plan -p` keeps its selection (apply used to refuse: 'does not cover ...')."""
    assert cli(sandbox, workdir, "plan", "-p", "platform/*", "--out", "plan.json").returncode == 0
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json")
    assert apply.returncode == 0, apply.stdout + apply.stderr
    billing = sandbox.api.get("/projects/platform%2Fbilling").json()
    assert billing["build_timeout"] == 3600
    reports = sandbox.api.get(
        "/projects/data%2Freports/variables/DEPLOY_TARGET", params={"filter[environment_scope]": "production"}
    )
    assert reports.json()["value"] == "prod-cluster"  # not in the plan: untouched
    other = cli(sandbox, workdir, "apply", "--plan", "plan.json", "-p", "data/*")
    assert other.returncode == 1 and "it was made for --project platform/*" in other.stderr


def test_saved_plan_is_refused_when_the_inventory_changed(sandbox: Sandbox, workdir: Path):
    assert cli(sandbox, workdir, "plan", "--out", "plan.json").returncode == 0
    inventory = workdir / "inventory.yaml"
    inventory.write_text(inventory.read_text().replace("3600", "7200"))
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json")
    assert apply.returncode == 1
    assert "the inventory has changed since" in apply.stderr


def test_bad_inventory_exits_1_naming_file_line_and_field_and_sends_nothing(sandbox: Sandbox, workdir: Path):
    (workdir / "inventory.yaml").write_text(
        "version: 1\nprojects:\n  platform/billing:\n    settings: {build_timout: 1}\n"
    )
    sandbox.reset_counters()
    result = cli(sandbox, workdir, "apply", "--yes")
    assert result.returncode == 1
    assert "inventory.yaml:4:16: projects.platform/billing.settings.build_timout" in result.stderr
    assert "did you mean 'build_timeout'" in result.stderr
    assert sandbox.counters()["total"] == 0


def test_one_failing_project_does_not_stop_the_others(sandbox: Sandbox, workdir: Path):
    inventory = workdir / "inventory.yaml"
    inventory.write_text(inventory.read_text() + "  platform/does-not-exist: {}\n")
    result = cli(sandbox, workdir, "apply", "--yes")
    assert result.returncode == 1
    assert "platform/does-not-exist" in result.stdout and "not found" in result.stdout
    billing = sandbox.api.get("/projects/platform%2Fbilling").json()
    assert billing["build_timeout"] == 3600  # the others were applied


def test_plain_http_to_a_remote_host_is_refused_before_any_request(workdir: Path):
    result = run_cli(
        "check",
        env={
            "PROVISIONER_GITLAB_URL": "http://gitlab.example.com",
            "PROVISIONER_TOKEN": "x" * 20,
            "DEMO_PYPI_TOKEN": SECRET_ENV,
        },
        cwd=workdir,
    )
    assert result.returncode == 1
    assert "refusing plain http://" in result.stderr
