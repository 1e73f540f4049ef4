"""Every file the tool writes (token files, saved plans, reports, the log, imported and bootstrapped
inventories, the JSON Schema, rendered blueprints) goes through here, so that

- a crash leaves the old file or the new one, never half of one: the content goes to a temporary file
  in the same folder, is flushed to disk, and is renamed over the target;
- nothing planted where the tool writes can redirect it: the temporary file has a random name and is
  created exclusively without following links (mkstemp), and a symbolic link at the target is refused,
  not followed (a link there would otherwise turn a write into the truncation of whatever it names);
- what may hold more than the user meant to share (token files, plans, reports, the log) is created
  0600, and is never readable by others, not even for a moment.

A folder on the way to the target may be a link: that is where the user chose to send the file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from provisioner.errors import OutputError

PRIVATE = 0o600


def write_text(target: Path, text: str, *, private: bool = False) -> None:
    """Create or replace `target` with `text`, all or nothing."""
    with replacing(target, private=private) as handle:
        handle.write(text)


@contextmanager
def replacing(target: Path, *, private: bool = False) -> Iterator[TextIO]:
    """A text handle whose content replaces `target` when the block ends; an error leaves `target`
    as it was. For content written in pieces (a report of thousands of projects)."""
    staged, handle = _staged(target)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        put_in_place(staged, target, private=private)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def stage(target: Path, text: str, *, suffix: str = ".tmp") -> Path:
    """A hidden file next to `target` holding `text` (flushed to disk), not yet in place; the caller
    puts it in place (`put_in_place`) or removes it."""
    staged, handle = _staged(target, suffix)
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def put_in_place(staged: Path, target: Path, *, private: bool = False) -> None:
    """Rename `staged` over `target`. Mode: 0600 when `private`, else what `target` had (or the
    umask's default for a new file)."""
    existing = _refuse_link(target)
    mode = PRIVATE if private else (existing if existing is not None else 0o666 & ~_umask())
    try:
        os.chmod(staged, mode)
        os.replace(staged, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    _sync_folder(target.parent)


def open_appending(path: Path) -> TextIO:
    """`path` opened for appending (the log), created 0600; a link there is refused (OutputError)."""
    _refuse_link(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, PRIVATE)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    return os.fdopen(fd, "a", encoding="utf-8")


def _staged(target: Path, suffix: str = ".tmp") -> tuple[Path, TextIO]:
    _refuse_link(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, a random name: nothing can be planted there first
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    return Path(name), os.fdopen(fd, "w", encoding="utf-8", newline="")


def _refuse_link(target: Path) -> int | None:
    """The permissions of what is at `target` (None: nothing); OutputError for a symbolic link."""
    try:
        found = target.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    if stat.S_ISLNK(found.st_mode):
        raise OutputError(
            f"refusing to write {target}: it is a symbolic link (remove it, or name the file it points to)"
        )
    return found.st_mode & 0o777


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort (not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    # Only read when a non-private file is created, from the main thread (no worker creates files then).
    mask = os.umask(0)
    os.umask(mask)
    return mask
