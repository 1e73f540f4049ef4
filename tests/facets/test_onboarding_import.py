"""`import` writes approval settings and rules, push rules and webhooks back as inventory, and a plan
of what it wrote is empty; the Community Edition's import has none of the Premium sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from provisioner.cli import app
from tests.support import Sandbox

INVENTORY = """\
version: 1
projects:
  platform/billing:
    approval_settings: {reset_approvals_on_push: false, merge_requests_disable_committers_approval: true}
    approval_rules:
      rules:
        Security: {approvals_required: 2, users: [dana], groups: [platform], protected_branches: [main]}
        All: {approvals_required: 1, applies_to_all_protected_branches: true}
    push_rules: {commit_message_regex: '^[A-Z]+-\\d+', deny_delete_tag: true, reject_unsigned_commits: true}
    webhooks:
      hooks:
        - {url: "https://chat.example.com/h", events: [push_events, pipeline_events], push_events_branch_filter: main, secret: "env:IMP_HOOK"}
"""


@pytest.fixture
def cli(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    env = {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_LOG_FILE": str(tmp_path / "log"),
        "IMP_HOOK": "import-hook-token-1234",
    }
    return lambda *args: CliRunner().invoke(app, list(args), env=env)


def test_import_then_plan_is_empty(cli: Any) -> None:
    Path("inventory.yaml").write_text(INVENTORY)
    applied = cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    imported = cli("import", "platform", "--out", "imported.yaml")
    assert imported.exit_code == 0, imported.output
    written = YAML(typ="safe").load(Path("imported.yaml").read_text())
    billing = written["projects"]["platform/billing"]
    assert billing["approval_rules"]["rules"]["Security"]["users"] == ["dana"]
    assert billing["approval_rules"]["rules"]["All"] == {
        "approvals_required": 1,
        "applies_to_all_protected_branches": True,
    }
    assert billing["push_rules"]["reject_unsigned_commits"] is True
    assert [h["url"] for h in billing["webhooks"]["hooks"]] == ["https://chat.example.com/h"]
    assert "import-hook-token-1234" not in Path("imported.yaml").read_text()
    assert "GitLab never shows a hook's token" in Path("imported.yaml").read_text()
    plan = cli("plan", "--inventory", "imported.yaml", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_the_community_edition_imports_no_premium_section(cli: Any, sandbox: Sandbox) -> None:
    sandbox.serve_version("18.6", "ce")
    imported = cli("import", "platform", "--out", "imported.yaml")
    assert imported.exit_code == 0, imported.output
    text = Path("imported.yaml").read_text()
    assert "approval_" not in text and "push_rules" not in text
