"""Three-way merge of a managed file: the blueprint's update on top of the team's edits, in memory.

base = what the tool rendered last time, ours = the new rendering, theirs = the file as it is now.
This is what copier and cruft do in a local clone, done on the texts alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from merge3 import Merge3


@dataclass(frozen=True)
class MergeResult:
    text: str  # the merged text; with conflict markers when `conflicted`
    conflicted: bool


def merge_three_way(
    base: str, ours: str, theirs: str, *, ours_label: str = "blueprint", theirs_label: str = "current"
) -> MergeResult:
    if theirs == base or ours == theirs:
        return MergeResult(ours, False)
    if ours == base:
        return MergeResult(theirs, False)
    merge = Merge3(_lines(base), _lines(ours), _lines(theirs))
    out: list[str] = []
    conflicted = False
    for group in merge.merge_groups():
        if group[0] == "conflict":
            conflicted = True
            _, _, ours_lines, theirs_lines = group
            out.append(f"<<<<<<< {ours_label}\n")
            out.extend(_terminated(ours_lines))
            out.append("=======\n")
            out.extend(_terminated(theirs_lines))
            out.append(f">>>>>>> {theirs_label}\n")
        else:
            out.extend(group[1])
    return MergeResult("".join(out), conflicted)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _terminated(lines: Sequence[str]) -> list[str]:
    """Lines inside a conflict, each ending in a newline, so that a marker never joins a last line."""
    result = list(lines)
    if result and not result[-1].endswith("\n"):
        result[-1] += "\n"
    return result
