"""The run lock (issue 19, item 1): one apply per GitLab and inventory; who holds it; a dead holder's
lock taken over and said; never written through a link."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner import run_lock
from provisioner.errors import ConfigError


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text("version: 1\n")
    return run_lock.lock_path(tmp_path / "inventory.yaml", "https://gitlab.example.com")


def test_one_lock_per_gitlab_and_inventory(tmp_path: Path, lock: Path):
    inventory = tmp_path / "inventory.yaml"
    assert lock.parent == tmp_path / ".provisioner"
    assert run_lock.lock_path(inventory, "https://gitlab.example.com/") == lock
    assert run_lock.lock_path(inventory, "https://other.example.com") != lock
    assert run_lock.lock_path(tmp_path / "other.yaml", "https://gitlab.example.com") != lock


def test_a_second_holder_is_refused_at_once_with_who_holds_it_and_since_when(lock: Path):
    with run_lock.held(lock) as me:
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        started = time.monotonic()
        with pytest.raises(run_lock.Locked) as refused, run_lock.held(lock):
            pass
        assert time.monotonic() - started < 1
    assert refused.value.holder == me
    message = str(refused.value)
    for part in (f"pid {os.getpid()}", socket.gethostname(), me.user, me.since, "--wait"):
        assert part in message
    with run_lock.held(lock):  # released at the end of the block
        pass


def test_wait_waits_for_the_holder_to_finish(lock: Path):
    order: list[str] = []
    waited: list[run_lock.Holder | None] = []
    holding = threading.Event()

    def first() -> None:
        with run_lock.held(lock):
            holding.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait()
    with run_lock.held(lock, wait=True, waiting=waited.append):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    assert waited and waited[0] is not None and waited[0].pid == os.getpid()


def test_the_lock_of_a_run_that_died_is_taken_over_and_said(lock: Path, caplog: pytest.LogCaptureFixture):
    lock.parent.mkdir()
    dead = {"host": socket.gethostname(), "pid": 999999, "user": "ci", "since": "2025-06-02T09:00:00+00:00"}
    lock.write_text(json.dumps(dead))  # what a run killed with -9 leaves: filled in, but nobody holds it
    with caplog.at_level(logging.WARNING), run_lock.held(lock) as me:
        assert json.loads(lock.read_text())["pid"] == me.pid
    assert "taken over from pid 999999 of ci" in caplog.text
    assert lock.read_text() == ""  # a run that ends well leaves it free


def test_the_lock_is_never_written_through_a_link(lock: Path, tmp_path: Path):
    lock.parent.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    lock.symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"), run_lock.held(lock):
        pass
    assert victim.read_text() == "keep me"
    lock.unlink()
    lock.parent.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lock.parent.symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="symbolic link"), run_lock.held(lock):
        pass
    assert list(elsewhere.iterdir()) == []


NOBODY = 65534


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    """This process as another user, for what permissions decide (root writes anywhere)."""
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder both root and nobody can reach (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="provisioner-lock-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="acts as another user")
def test_a_read_only_checkout_keeps_its_lock_in_the_state_folder(
    shared: Path, monkeypatch: pytest.MonkeyPatch
):
    (shared / "inventory.yaml").write_text("version: 1\n")  # root's: nobody cannot write next to it
    state = shared / "state"
    state.mkdir()
    os.chown(state, NOBODY, NOBODY)
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    path = run_lock.lock_path(shared / "inventory.yaml", "https://gitlab.example.com")
    with as_nobody(), run_lock.held(path):
        assert (state / "provisioner" / "locks" / path.name).is_file()
        with pytest.raises(run_lock.Locked), run_lock.held(path):
            pass
    assert not path.parent.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="acts as another user")
def test_another_users_lock_is_said_to_be_theirs(shared: Path):
    (shared / "inventory.yaml").write_text("version: 1\n")
    path = run_lock.lock_path(shared / "inventory.yaml", "https://gitlab.example.com")
    with run_lock.held(path):
        pass  # root's now, 0600
    path.parent.chmod(0o755)
    with as_nobody(), pytest.raises(ConfigError, match=r"is another user's \(uid 0\)"), run_lock.held(path):
        pass
