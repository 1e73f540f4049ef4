"""`--max-rate N` (and PROVISIONER_MAX_RATE): a bad N is refused with a clear message, exit 1 (a usage
error's 2 would say drift), before anything is sent; a good one reaches the run's rate limiter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli import app, common
from tests.support import Sandbox


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in os.environ:
        if name.startswith(("PROVISIONER_", "GITLAB_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PROVISIONER_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PROVISIONER_GITLAB_URL", sandbox.url)
    monkeypatch.setenv("PROVISIONER_TOKEN", sandbox.token)
    monkeypatch.setenv("PROVISIONER_LOG_FILE", str(tmp_path / "provisioner.log"))
    (tmp_path / "inventory.yaml").write_text("version: 1\nprojects: {platform/billing: {}}\n")
    monkeypatch.chdir(tmp_path)
    sandbox.reset_counters()
    return tmp_path


@pytest.mark.parametrize(
    ("command", "value"),
    [
        ("check", "0"),
        ("check", "abc"),
        ("plan", "-5"),
        ("plan", "1.5"),
        ("apply", "0"),
        ("apply", " "),
        ("bootstrap", "0"),
        ("import", "x"),
    ],
)
def test_a_max_rate_that_is_not_a_positive_whole_number_is_refused_before_any_request(
    env: Path, sandbox: Sandbox, command: str, value: str
) -> None:
    extra = {"apply": ["--yes"], "bootstrap": ["platform/new"], "import": ["platform"]}.get(command, [])
    result = CliRunner().invoke(app, [command, *extra, "--max-rate", value])

    assert result.exit_code == 1, result.output
    assert "--max-rate must be a whole number of requests per minute, at least 1" in result.output
    assert sandbox.counters()["total"] == 0


def test_a_bad_max_rate_in_the_environment_is_refused_naming_the_setting(
    env: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVISIONER_MAX_RATE", "0")
    result = CliRunner().invoke(app, ["check"])

    assert result.exit_code == 1, result.output
    assert "max_rate" in result.output and "greater than or equal to 1" in result.output
    assert sandbox.counters()["total"] == 0


def test_max_rate_reaches_the_runs_rate_limiter(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = common.connect(common.settings(max_rate=90))
    assert api.limiter.max_per_minute == 90
    api.close()
    monkeypatch.setenv("PROVISIONER_MAX_RATE", "45")
    api = common.connect(common.settings())
    assert api.limiter.max_per_minute == 45  # the setting, as the other run settings
    api.close()
    result = CliRunner().invoke(app, ["check", "--max-rate", "100000"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "command", [["import", "platform"], ["bootstrap", "platform/billing", "--no-blueprint"]]
)
def test_import_and_bootstrap_run_paced_by_max_rate(
    env: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    paced: list[int | None] = []
    connect = common.connect
    monkeypatch.setattr(common, "connect", lambda cfg: paced.append(cfg.max_rate) or connect(cfg))
    result = CliRunner().invoke(app, [*command, "--max-rate", "100000"])

    assert result.exit_code == 0, result.output
    assert paced and set(paced) == {100000}  # every client of the command, not only the first
