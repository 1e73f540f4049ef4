"""The human report: what each project needs (or got), then one summary line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provisioner.model import SENSITIVE, Action, Change, ProjectResult, RunResult
from provisioner.report.summary import summarise
from provisioner.secrets import redact

_SYMBOL = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE: "-",
    Action.REPLACE: "±",
    Action.UNMANAGED: "?",
    Action.AWAITING: "…",
    Action.UNSUPPORTED: "∅",
}


def _value(value: Any) -> str:
    if value == SENSITIVE:
        return SENSITIVE
    return (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Iterable[str]:
    before, after = before or {}, after or {}
    for name in list(after) + [k for k in before if k not in after]:
        if name in before and name in after:
            yield f"{name}: {_value(before[name])} -> {_value(after[name])}"
        elif name in after:
            if after[name] in (None, False, ""):
                continue  # a new thing's unset flags say nothing worth reading
            yield f"{name}: {_value(after[name])}"
        else:
            yield f"{name}: {_value(before[name])}"


def change_lines(change: Change, indent: str = "  ") -> list[str]:
    label = f"{indent}{_SYMBOL[change.action]} {change.facet}: {change.target}"
    if change.action is Action.UNMANAGED and change.after is None:
        return [label + " (unmanaged: not in the inventory)"]
    lines = [label]
    if change.action is not Action.DELETE or change.before is None:
        lines += [f"{indent}    {f}" for f in _fields(change.before, change.after)]
    if change.detail and change.action is Action.CREATE:
        # A new file's diff is the whole file: `blueprint render` or --format json show it.
        added = sum(
            1 for line in change.detail.splitlines() if line.startswith("+") and not line.startswith("+++")
        )
        lines.append(f"{indent}    (new content: {added} lines)")
    elif change.detail:
        lines += [f"{indent}    {line}" for line in change.detail.splitlines()]
    return lines


def project_lines(result: ProjectResult, mode: str) -> list[str]:
    shown = result.applied if mode == "apply" else result.planned
    notices = [c for c in result.planned if not c.is_pending]
    if not shown and not notices and not result.problems:
        return []
    lines = [result.project]
    for change in shown:
        lines += change_lines(change)
    if mode == "apply":
        for change in notices:
            lines += change_lines(change)
    for problem in result.problems:
        where = f"{problem.facet}: " if problem.facet else ""
        lines.append(f"  ! {where}{problem.message}")
    return lines


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(run: RunResult) -> str:
    s = summarise(run)
    parts = [f"{run.mode}: {plural(s.targets, 'target')}"]
    writes = {a: n for a, n in s.by_action.items() if a not in ("unmanaged", "awaiting", "unsupported")}
    if run.mode == "apply":
        parts.append(f"{plural(s.applied, 'change')} applied")
    elif run.mode == "plan":
        parts.append(", ".join(f"{n} to {a}" for a, n in writes.items()) or "no changes")
    else:
        drifted = s.by_status.get("drift", 0) + s.by_status.get("awaiting", 0)
        parts.append(f"{drifted} drifted, {s.by_status.get('in_sync', 0)} in sync")
    for kind in ("awaiting", "unmanaged", "unsupported"):
        if s.by_action.get(kind):
            parts.append(f"{s.by_action[kind]} {kind}")
    if s.by_status.get("failed"):
        parts.append(f"{s.by_status['failed']} failed")
    if run.interrupted:
        parts.append("INTERRUPTED: some projects were not processed")
    return "; ".join(parts) + "."


def render(run: RunResult) -> str:
    blocks = [lines for p in run.projects if (lines := project_lines(p, run.mode))]
    body = "\n\n".join("\n".join(lines) for lines in blocks)
    text = (body + "\n\n" if body else "") + summary_line(run) + "\n"
    return redact(text)
