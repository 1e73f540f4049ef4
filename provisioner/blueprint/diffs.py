"""Unified diffs of file contents, for `plan` output and merge request descriptions."""

from __future__ import annotations

import difflib

_NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(path: str, before: str | None, after: str | None, *, context: int = 3) -> str:
    """`git diff`-style text; None stands for a missing file. Empty when both are the same."""
    if before == after:
        return ""
    old = _lines(before)
    new = _lines(after)
    return "".join(
        difflib.unified_diff(
            old,
            new,
            fromfile=f"a/{path}" if before is not None else "/dev/null",
            tofile=f"b/{path}" if after is not None else "/dev/null",
            n=context,
        )
    )


def _lines(text: str | None) -> list[str]:
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    if not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n" + _NO_NEWLINE  # as git shows it; also keeps difflib's lines whole
    return lines
