"""Writing a file all or nothing: the content goes to a hidden file next to it, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def stage(target: Path, text: str, *, suffix: str = ".tmp") -> Path:
    """A hidden file next to `target` holding `text` (flushed to disk), not yet in place."""
    fd, name = tempfile.mkstemp(dir=target.resolve().parent, prefix=f".{target.name}.", suffix=suffix)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


def put_in_place(staged: Path, target: Path) -> None:
    """Rename `staged` over `target`, keeping the permissions `target` had (or the umask's)."""
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    os.chmod(staged, mode)
    os.replace(staged, target)


def write(target: Path, text: str) -> None:
    staged = stage(target, text)
    try:
        put_in_place(staged, target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
