"""Every file a command writes (saved plans, reports, the log, the JSON Schema, rendered blueprints)
refuses a symbolic link where it goes, and plans, reports and the log are readable by the owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from tests.support import Sandbox

INVENTORY = "version: 1\nprojects:\n  platform/billing:\n    settings: {build_timeout: 3600}\n"
VICTIM = "the user's own file\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "victim.txt").write_text(VICTIM)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _env(sandbox: Sandbox, workdir: Path) -> dict[str, str]:
    return {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_LOG_FILE": str(workdir / "logs" / "provisioner.log"),
        "PROVISIONER_CONFIG": str(workdir / "no-config.toml"),
    }


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_plans_reports_and_the_log_are_created_0600(sandbox: Sandbox, workdir: Path) -> None:
    env = _env(sandbox, workdir)
    runner = CliRunner()
    planned = runner.invoke(app, ["plan", "--out", "plan.json", "--debug"], env=env)
    assert planned.exit_code == 0, planned.output
    checked = runner.invoke(app, ["check", "--junit", "report.xml", "--json", "report.json"], env=env)
    assert checked.exit_code == 2, checked.output
    for name in ("plan.json", "report.xml", "report.json", "logs/provisioner.log"):
        assert _mode(workdir / name) == 0o600, name
    assert not [p.name for p in workdir.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "--out", "link"],
        ["check", "--junit", "link"],
        ["check", "--json", "link"],
        ["schema", "--out", "link"],
    ],
)
def test_a_link_where_a_command_writes_is_refused_and_nothing_is_damaged(
    sandbox: Sandbox, workdir: Path, command: list[str]
) -> None:
    (workdir / "link").symlink_to(workdir / "victim.txt")
    result = CliRunner().invoke(app, command, env=_env(sandbox, workdir))
    assert result.exit_code == 1, result.output
    assert "refusing to write link: it is a symbolic link" in result.stderr
    assert (workdir / "victim.txt").read_text() == VICTIM and (workdir / "link").is_symlink()


def test_a_link_at_the_log_file_is_not_followed(sandbox: Sandbox, workdir: Path) -> None:
    (workdir / "logs").mkdir()
    (workdir / "logs" / "provisioner.log").symlink_to(workdir / "victim.txt")
    result = CliRunner().invoke(app, ["plan", "--debug"], env=_env(sandbox, workdir))
    assert result.exit_code == 0, result.output
    assert (workdir / "victim.txt").read_text() == VICTIM


def test_blueprint_render_never_writes_through_a_link_out_of_its_folder(workdir: Path) -> None:
    outside = workdir / "outside"
    outside.mkdir()
    out = workdir / "checkout"
    out.mkdir()
    (out / "src").symlink_to(outside)  # the blueprint renders files under src/
    (out / "README.md").symlink_to(workdir / "victim.txt")
    args = ["blueprint", "render", "python-package", "--out", str(out), "--project", "platform/billing"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "a symbolic link leads out of" in result.stderr
    assert list(outside.iterdir()) == [] and (workdir / "victim.txt").read_text() == VICTIM
