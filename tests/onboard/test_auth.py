"""`provisioner auth login|status|logout` with a real keyring backend (keyrings.alt's file backend in a
temporary folder, chosen through PYTHON_KEYRING_BACKEND) against the sandbox over HTTP. The token
never appears in what the command prints or logs."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest

from provisioner.sandbox.seed import RITA_TOKEN
from tests.onboard.conftest import Cli, World

NO_BACKEND = "keyring.backends.fail.Keyring"


@pytest.fixture
def person(cli: Cli) -> Cli:
    """Someone at a terminal-less shell: no token in the environment, only what `auth login` keeps."""
    cli.env.pop("PROVISIONER_TOKEN")
    return cli


def new_token(world: World, username: str, scopes: list[str], expires_at: str | None = None) -> str:
    user = world.api(
        "POST", "/users", json={"username": username, "name": username, "email": f"{username}@x.test"}
    )
    assert user.status_code == 201, user.text
    body = {
        "name": f"{username}-laptop",
        "scopes": scopes,
        **({"expires_at": expires_at} if expires_at else {}),
    }
    token = world.api("POST", f"/users/{user.json()['id']}/personal_access_tokens", json=body)
    assert token.status_code == 201, token.text
    return str(token.json()["token"])


def assert_unseen(token: str, cli: Cli, *results: subprocess.CompletedProcess[str]) -> None:
    for result in results:
        assert token not in result.stdout and token not in result.stderr
    if cli.log_file.exists():
        assert token not in cli.log_file.read_text()


def test_login_status_logout_round_trip_through_the_keyring(person: Cli, world: World) -> None:
    login = person("auth", "login", input=world.token + "\n")

    assert login.returncode == 0, login.stderr
    assert "user:    root (Administrator), administrator" in login.stdout
    assert "scopes:  api, create_runner, manage_runner, read_api, sudo" in login.stdout
    assert "Stored in the keyring (keyrings.alt.file.PlaintextKeyring)" in login.stdout

    status = person("auth", "status")
    used = person("import", "data")  # every other command finds the token in the keyring

    assert status.returncode == 0, status.stderr
    assert "source:  keyring (keyrings.alt.file.PlaintextKeyring)" in status.stdout
    assert "user:    root" in status.stdout
    assert used.returncode == 0, used.stderr

    logout = person("auth", "logout")
    after = person("auth", "status")
    again = person("auth", "logout")

    assert logout.returncode == 0 and "Removed the token" in logout.stdout
    assert after.returncode == 1 and "not logged in" in after.stderr and "auth login" in after.stderr
    assert again.returncode == 0 and "nothing to remove" in again.stdout
    assert_unseen(world.token, person, login, status, used, logout, after, again)


def test_a_refused_token_is_not_stored(person: Cli, world: World) -> None:
    wrong = "glpat-not-a-real-token-000"

    login = person("auth", "login", input=wrong + "\n")
    status = person("auth", "status")

    assert login.returncode == 1
    assert "refused the token" in login.stderr and "nothing stored" in login.stderr
    assert status.returncode == 1 and "not logged in" in status.stderr
    assert_unseen(wrong, person, login, status)


def test_an_empty_token_is_refused(person: Cli) -> None:
    login = person("auth", "login", input="\n")

    assert login.returncode == 1 and "no token given" in login.stderr


@pytest.mark.parametrize("command", ["login", "status", "logout"])
def test_without_a_keyring_backend_the_environment_is_the_way(
    person: Cli, world: World, command: str
) -> None:
    result = person("auth", command, input=world.token + "\n", env={"PYTHON_KEYRING_BACKEND": NO_BACKEND})

    assert result.returncode == 1
    assert "no usable OS keyring" in result.stderr and "PROVISIONER_TOKEN" in result.stderr
    assert_unseen(world.token, person, result)


@pytest.mark.parametrize("variable", ["PROVISIONER_TOKEN", "GITLAB_TOKEN"])
def test_status_names_the_environment_and_warns_about_a_read_only_token(person: Cli, variable: str) -> None:
    result = person("auth", "status", env={variable: RITA_TOKEN, "PYTHON_KEYRING_BACKEND": NO_BACKEND})

    assert result.returncode == 0, result.stderr
    assert f"source:  environment ({variable})" in result.stdout
    assert "user:    rita (Rita Reporter)" in result.stdout
    assert "warning: the token has read_api but not api" in result.stderr
    assert_unseen(RITA_TOKEN, person, result)


def test_login_warns_about_near_expiry_and_missing_scopes(person: Cli, world: World) -> None:
    soon = (date.today() + timedelta(days=3)).isoformat()
    token = new_token(world, "erin", ["read_repository"], expires_at=soon)

    login = person("auth", "login", input=token + "\n")

    assert login.returncode == 0, login.stderr
    assert f"expires {soon} (in 3 days)" in login.stdout
    assert "warning: the token expires in 3 days: create a new one soon" in login.stderr
    assert "warning: the token has neither api nor read_api" in login.stderr
    assert "a user this token may not read" in login.stdout
    assert_unseen(token, person, login)


def test_the_prompt_does_not_echo_the_token(person: Cli, world: World) -> None:
    """At a terminal the token is asked for with echo off (getpass), never shown."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "auth", "login"],
        cwd=person.cwd,
        env=person.env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    seen = _read_until(master, b"(input hidden): ")
    os.write(master, world.token.encode() + b"\n")
    seen += _read_until(master, b"Stored in the keyring", process)
    process.wait(timeout=60)
    os.close(master)

    text = seen.decode(errors="replace")
    assert process.returncode == 0, text
    assert "GitLab token for" in text and "user:    root" in text
    assert world.token not in text
    assert person("auth", "status").returncode == 0


def _read_until(fd: int, marker: bytes, process: subprocess.Popen[bytes] | None = None) -> bytes:
    found = b""
    deadline = time.monotonic() + 60
    while marker not in found and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other end closed (the process ended)
                break
            if not chunk:
                break
            found += chunk
        elif process is not None and process.poll() is not None:
            break
    return found


def test_the_keyring_entry_is_per_gitlab_host(person: Cli, world: World) -> None:
    person("auth", "login", input=world.token + "\n")

    other = person("auth", "status", env={"PROVISIONER_GITLAB_URL": "http://127.0.0.1:9"})

    assert other.returncode == 1 and "not logged in to 127.0.0.1:9" in other.stderr


def test_login_with_url_says_how_other_commands_find_that_gitlab(person: Cli, world: World) -> None:
    login = person(
        "auth", "login", "--url", world.url, input=world.token + "\n", env={"PROVISIONER_GITLAB_URL": None}
    )

    assert login.returncode == 0, login.stderr
    assert f"set PROVISIONER_GITLAB_URL={world.url}" in login.stderr
    status = person("auth", "status", "--url", world.url, env={"PROVISIONER_GITLAB_URL": None})
    assert status.returncode == 0 and "source:  keyring" in status.stdout
