"""plan -> apply -> apply -> check through the real CLI against the sandbox over HTTP.

The idempotence contract: the second apply makes zero writes (sandbox counters), check then exits 0,
and no secret value appears in any output, log, plan file or report.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.support import Sandbox, run_cli

SECRET_ENV = "pypi-token-from-env-0123456789"
SECRET_FILE = "reports-key-from-file-987654321"
INVENTORY = """\
    version: 1
    uncovered: ignore  # this test manages two projects of groups that hold more
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


def cli(sandbox: Sandbox, workdir: Path, *args: str):
    env = {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "DEMO_PYPI_TOKEN": SECRET_ENV,
        "PROVISIONER_LOG_FILE": str(workdir / "provisioner.log"),
    }
    return run_cli(*args, env=env, cwd=workdir)


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


def test_saved_plan_is_refused_when_gitlab_changed_since(sandbox: Sandbox, workdir: Path):
    assert cli(sandbox, workdir, "plan", "--out", "plan.json").returncode == 0
    sandbox.api.put("/projects/platform%2Fbilling", json={"build_timeout": 7200})  # someone else changes it
    sandbox.reset_counters()
    apply = cli(sandbox, workdir, "apply", "--plan", "plan.json")
    assert apply.returncode == 1
    assert "changed since the plan was made" in apply.stdout
    assert sandbox.counters()["by_route"].get("PUT /api/v4/projects/:id", 0) == 0


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
    assert "group data" in apply.stdout and "changed since the plan was made" in apply.stdout
    assert not any("groups/:id/variables" in route for route in _writes(sandbox))
    (kept,) = [v for v in sandbox.api.get("/groups/data/variables").json() if v["key"] == "DATA_LAKE_URL"]
    assert kept["value"] == "s3://elsewhere"


def _writes(sandbox: Sandbox) -> list[str]:
    return [r for r, n in sandbox.counters()["by_route"].items() if n and not r.startswith(("GET", "HEAD"))]


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
