"""Settings from the config file: its keys work, a token in it is refused without being shown, and
plain http:// to a remote host needs the explicit opt-in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.config import load_settings
from provisioner.errors import ConfigError

TOKEN = "glpat-in-the-config-file-7Qx2"


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty environment but for PROVISIONER_CONFIG naming this (not yet written) file."""
    for name in os.environ:
        if name.startswith(("PROVISIONER_", "GITLAB_")):
            monkeypatch.delenv(name)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PROVISIONER_CONFIG", str(path))
    monkeypatch.setenv("PROVISIONER_LOG_FILE", str(tmp_path / "provisioner.log"))
    (tmp_path / "inventory.yaml").write_text("version: 1\nprojects: {a/b: {}}\n")
    monkeypatch.chdir(tmp_path)
    return path


def test_the_config_file_sets_what_the_environment_does_not(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text('concurrency = 3\ngitlab_url = "https://gitlab.example.com/"\ntimeout = 12.5\n')
    cfg = load_settings()
    assert (cfg.concurrency, cfg.gitlab_url, cfg.timeout) == (3, "https://gitlab.example.com", 12.5)
    monkeypatch.setenv("PROVISIONER_CONCURRENCY", "5")
    assert load_settings().concurrency == 5  # the environment wins
    assert load_settings(concurrency=7).concurrency == 7  # and the command line over both


@pytest.mark.parametrize("key", ["token", "PROVISIONER_TOKEN", "provisioner_token", "GITLAB_TOKEN", "Token"])
def test_a_token_in_the_config_file_is_refused_and_not_shown(config_file: Path, key: str) -> None:
    config_file.write_text(f'concurrency = 3\n{key} = "{TOKEN}"\n')

    result = CliRunner().invoke(app, ["validate"])

    assert result.exit_code == 1
    assert TOKEN not in result.output
    assert str(config_file) in result.output and repr(key) in result.output
    assert "provisioner auth login" in result.output and "PROVISIONER_TOKEN" in result.output
    with pytest.raises(ConfigError):
        load_settings()  # never silently used as the token, whatever the command


@pytest.mark.parametrize(
    "text", [f'tokn = "{TOKEN}"', f'[provisioner]\ntoken = "{TOKEN}"', f'timeout = "{TOKEN}"']
)
def test_a_settings_error_never_echoes_the_value_given(config_file: Path, text: str) -> None:
    """pydantic puts `input_value=...` in its messages; a misplaced secret would be printed."""
    config_file.write_text(text + "\n")

    result = CliRunner().invoke(app, ["validate"])

    assert result.exit_code == 1
    assert result.output.startswith("error: invalid settings: ")
    assert TOKEN not in result.output


def test_plain_http_to_a_remote_host_needs_the_opt_in(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = "http://gitlab.internal.example"  # never contacted: the check is made before connecting
    with pytest.raises(ConfigError, match="refusing plain http://"):
        load_settings(gitlab_url=remote).check_transport()
    load_settings(gitlab_url="http://127.0.0.1:8080").check_transport()  # loopback needs no opt-in
    load_settings(gitlab_url="https://gitlab.internal.example").check_transport()

    monkeypatch.setenv("PROVISIONER_ALLOW_INSECURE_HTTP", "1")
    load_settings(gitlab_url=remote).check_transport()
    config_file.write_text("allow_insecure_http = true\n")
    monkeypatch.delenv("PROVISIONER_ALLOW_INSECURE_HTTP")
    load_settings(gitlab_url=remote).check_transport()
