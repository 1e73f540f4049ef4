"""One `apply` at a time per GitLab and inventory: two at once would each create what the other is
creating (issue 19: 43 duplicate runners out of 50).

The lock is a file next to the inventory (`.provisioner/apply-<key>.lock`, 0600), held with `flock`
for the life of the process: the kernel releases it when the process ends, however it ends, so a
lock is never left held by a dead run. The file says who holds it (host, pid, user, since when); a
run that finds it filled in but free knows the previous holder died without clearing it (kill -9,
a power cut) and says so in the log as it takes the lock over. Runs on other machines see the lock
only through a shared folder; what two machines create at once is recognised afterwards (see
`provisioner.facets.runners_created`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import getpass
import hashlib
import json
import logging
import os
import socket
import stat
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from provisioner.config import state_dir
from provisioner.errors import ConfigError, ProvisionerError

log = logging.getLogger(__name__)
FOLDER = ".provisioner"


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    user: str
    since: str  # ISO 8601, UTC

    @classmethod
    def me(cls) -> Holder:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container)
            user = str(os.geteuid())
        since = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(socket.gethostname(), os.getpid(), user, since)

    def __str__(self) -> str:
        return f"pid {self.pid} of {self.user} on {self.host}, since {self.since}"


class Locked(ProvisionerError):
    """Another apply of the same inventory against the same GitLab is running."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        self.path = path
        self.holder = holder
        who = str(holder) if holder is not None else "a run that has not said who it is yet"
        super().__init__(
            f"another apply of this inventory against this GitLab is running ({who}; lock {path}): "
            "run again when it is done, or pass --wait to wait for it"
        )


def lock_path(inventory: Path, gitlab_url: str) -> Path:
    """The lock of `inventory` against `gitlab_url`: one per pair, next to the inventory."""
    resolved = inventory.resolve()
    key = hashlib.sha256(f"{gitlab_url.rstrip('/')}\n{resolved}".encode()).hexdigest()[:16]
    return resolved.parent / FOLDER / f"apply-{key}.lock"


@contextlib.contextmanager
def held(
    path: Path, *, wait: bool = False, waiting: Callable[[Holder | None], None] = lambda holder: None
) -> Iterator[Holder]:
    """Hold the lock at `path` for the block. Taken: raises `Locked` naming the holder, or with
    `wait` says so through `waiting` and waits for it."""
    try:
        fd = _open(path)
    except _ReadOnly:
        # A read-only checkout: the lock is this user's alone then, in the state folder.
        log.info("run lock: %s cannot be written; using one in %s", path.parent, state_dir())
        path = state_dir() / "locks" / path.name
        fd = _open(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            if not wait:
                raise Locked(path, holder) from None
            waiting(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without locks
            raise ConfigError(f"cannot lock {path}: {exc.strerror}") from None
        previous = _read(fd)
        if previous is not None:
            log.warning("run lock %s: taken over from %s, which ended without releasing it", path, previous)
        me = Holder.me()
        _write(fd, json.dumps(asdict(me)))
        try:
            yield me
        finally:
            _write(fd, "")  # free, and not left behind by a run that ended well
    finally:
        os.close(fd)  # releases the lock


class _ReadOnly(ConfigError):
    """The lock's folder cannot be written (and holds no lock file)."""


def _open(path: Path) -> int:
    """The lock file, created 0600 if missing; never through a symbolic link."""
    folder = path.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.is_symlink():
            raise ConfigError(f"{folder} is a symbolic link: the run lock is not written through it")
        flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            fd = os.open(path, flags)
    except OSError as exc:
        raise _refusal(path, exc) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConfigError(f"the run lock {path} is not a regular file")
    return fd


def _refusal(path: Path, exc: OSError) -> ConfigError:
    if exc.errno == errno.ELOOP:
        return ConfigError(f"the run lock {path} is a symbolic link: it is not written through it")
    try:
        owner = path.lstat().st_uid
    except OSError:  # no lock file: the folder cannot be written
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return _ReadOnly(f"cannot create the run lock {path}: {exc.strerror}")
        return ConfigError(f"cannot create the run lock {path}: {exc.strerror}")
    if owner != os.geteuid():
        return ConfigError(
            f"the run lock {path} is another user's (uid {owner}): only one person's apply of an inventory "
            "runs at a time; run it as that user, or remove the file once no apply of theirs is running"
        )
    return ConfigError(f"cannot open the run lock {path}: {exc.strerror}")


def _read(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        found = json.loads(raw)
        return Holder(str(found["host"]), int(found["pid"]), str(found["user"]), str(found["since"]))
    except (ValueError, KeyError, TypeError):
        return None  # free (empty), or not ours to understand


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode())
    with contextlib.suppress(OSError):
        os.fsync(fd)
