"""The folders the inventory may read from and the tool may write to.

A team file pulled in by `include:` is input its reviewers may not have read: a `file:` secret
pointing at `../../../../etc/passwd` would send that file to GitLab as a CI variable. So every path an
inventory names (included files, `file:` secrets, token files) must lie, once every symbolic link on
the way is resolved, inside the main inventory's folder, or inside a folder the user allowed by name
(`PROVISIONER_EXTRA_ROOTS`). `~` is never expanded: whose home it is depends on who runs the tool.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EXTRA_ROOTS_SETTING = "PROVISIONER_EXTRA_ROOTS"


@dataclass(frozen=True)
class Roots:
    folders: tuple[Path, ...]  # real paths (links resolved)

    @classmethod
    def of(cls, main_file: Path, extra: Iterable[Path] = ()) -> Roots:
        """The main file's folder (as named, and as its links resolve) and the `extra` folders."""
        named = [Path(main_file).absolute().parent, Path(main_file).resolve().parent, *extra]
        return cls(tuple(dict.fromkeys(Path(os.path.realpath(folder)) for folder in named)))

    def contains(self, path: Path) -> bool:
        """Whether `path`, with every link resolved (a missing file: its folder's), is inside a root."""
        real = Path(os.path.realpath(path))
        return any(real == folder or real.is_relative_to(folder) for folder in self.folders)

    def refusal(self, written: str, path: Path) -> str | None:
        """Why the path the user wrote as `written` (found at `path`) may not be used; None if it may."""
        if written.startswith("~"):
            return f"'{written}': ~ is not expanded; write the path relative to the file that names it"
        if not self.contains(path):
            return (
                f"'{written}' is outside the inventory's folder (symbolic links resolved); "
                f"allow another folder with {EXTRA_ROOTS_SETTING}"
            )
        return None
