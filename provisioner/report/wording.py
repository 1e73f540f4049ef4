"""How one change reads, in the same words in every report (text, JUnit, HTML).

Three voices: `plan` says what apply will do ("will change 600 → 3600"), `apply` what it did, `check`
describes the world against the inventory ("GitLab has 600; the inventory wants 3600"). In plan and
apply a symbol is the action (`+` create, `-` delete); in check it is the state of GitLab (`-` missing
on GitLab, `+` on GitLab but not wanted). Each output ends its list of changes with a legend of the
symbols it used.

Only display-safe data is shown: a change's `before`/`after` (secret values already `(sensitive)`), never
a field of something the inventory does not name (an unmanaged or deleted variable's value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.model import Action, Change
from provisioner.report.values import yaml_value

ARROW = "→"
_PROSE = ("note", "conflict")  # fields that are sentences, shown as such
_HIDDEN = ("merge_request",)  # said in the headline


@dataclass(frozen=True)
class Described:
    symbol: str
    headline: str  # "settings: project settings will change"
    fields: tuple[str, ...] = ()  # "build_timeout: 600 → 3600"
    diff: str | None = None  # a unified diff (files), when it helps to read it
    size: str | None = None  # "(new content: 12 lines)" in place of a new file's diff


# symbol and verb, by voice
_PLAN = {
    Action.CREATE: ("+", "will be created"),
    Action.UPDATE: ("~", "will change"),
    Action.DELETE: ("-", "will be deleted"),
    Action.REPLACE: ("±", "will be replaced (deleted and created again)"),
}
_APPLY = {
    Action.CREATE: ("+", "created"),
    Action.UPDATE: ("~", "changed"),
    Action.DELETE: ("-", "deleted"),
    Action.REPLACE: ("±", "replaced"),
}
_CHECK = {
    Action.CREATE: ("-", "is missing on GitLab"),
    Action.UPDATE: ("~", "differs from the inventory"),
    Action.DELETE: ("+", "is on GitLab but not in the inventory (apply deletes it)"),
    Action.REPLACE: ("±", "differs (apply replaces it)"),
}
_LEGEND = {
    "plan": {"+": "create", "~": "change", "-": "delete", "±": "replace"},
    "apply": {"+": "created", "~": "changed", "-": "deleted", "±": "replaced"},
    "check": {
        "-": "missing on GitLab",
        "~": "differs",
        "+": "on GitLab, not wanted",
        "±": "must be replaced",
    },
}
_NOTICES = {
    "…": "waits for a person to merge a merge request",
    "?": "not in the inventory: reported, left as it is",
    "∅": "this GitLab cannot do it (needs a newer version or EE): not checked",
    "○": "value not verified: the run was not given the secret",
    "∉": "not covered: under a group of the inventory, managed by nothing",
    "!": "error",
}


def voice(mode: str) -> str:
    """bootstrap and apply speak alike; anything that does not write speaks as a plan or a check."""
    return mode if mode in _LEGEND else "plan"


def describe(change: Change, mode: str, *, proposed_in: str | None = None) -> Described:
    """`proposed_in`: the merge request apply put this change in (apply only)."""
    where = f"{change.facet}: {change.target}"
    if proposed_in is not None:
        return Described("…", f"{where} proposed in merge request {proposed_in}")
    if change.action is Action.AWAITING:
        url = (change.after or {}).get("merge_request")
        waiting = f"merge request {url}" if url else "a merge request"
        verb = "differs; the fix waits in" if voice(mode) == "check" else "waits in"
        return Described("…", f"{where} {verb} {waiting}", _prose(change.after))
    if change.action is Action.UNMANAGED:
        return Described("?", f"{where} is not in the inventory: left as it is", _prose(change.after))
    if change.action is Action.UNVERIFIED:
        return Described("○", f"{where}: {(change.after or {}).get('note', 'value not verified')}")
    if change.action is Action.UNCOVERED:
        return Described("∉", f"{change.target} is not covered", _prose(change.after))
    if change.action is Action.UNSUPPORTED:
        needs = (change.after or {}).get("needs", "needs another GitLab")
        return Described("∅", f"{where}: {needs}; not checked, not written")
    table = {"plan": _PLAN, "apply": _APPLY, "check": _CHECK}[voice(mode)]
    symbol, verb = table.get(change.action, ("!", change.action.value))
    if change.action is Action.DELETE:
        return Described(symbol, f"{where} {verb}")  # what it held is not the inventory's to show
    fields = tuple(_fields(change.before, change.after, voice(mode))) + _prose(change.after)
    if change.detail and change.action is Action.CREATE:
        # A new file's diff is the whole file: `blueprint render`, --format json or --html show it.
        added = sum(1 for ln in change.detail.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
        return Described(symbol, f"{where} {verb}", fields, change.detail, f"(new content: {added} lines)")
    return Described(symbol, f"{where} {verb}", fields, change.detail)


def describe_all(changes: Iterable[tuple[Change, str | None]], mode: str) -> list[Described]:
    """Each (change, the merge request apply proposed it in), described; the changes of one facet that
    wait in (or went into) one merge request read as one line: the merge request holds their diffs."""
    slots: list[Described | tuple[str, str, bool]] = []
    grouped: dict[tuple[str, str, bool], list[Change]] = {}
    for change, proposed in changes:
        url = proposed or (change.after or {}).get("merge_request")
        if url and (proposed or change.action is Action.AWAITING):
            key = (change.facet, str(url), proposed is not None)
            if key not in grouped:
                grouped[key] = []
                slots.append(key)
            grouped[key].append(change)
        else:
            slots.append(describe(change, mode, proposed_in=proposed))
    return [slot if isinstance(slot, Described) else _group(*slot, grouped[slot], mode) for slot in slots]


def _group(facet: str, url: str, proposed: bool, changes: list[Change], mode: str) -> Described:
    if len(changes) == 1:
        return describe(changes[0], mode, proposed_in=url if proposed else None)
    if proposed:
        verb = "changes proposed in"
    else:
        verb = "differences; the fix waits in" if voice(mode) == "check" else "changes wait in"
    headline = f"{facet}: {len(changes)} {verb} merge request {url}"
    return Described("…", headline, (", ".join(c.target for c in changes),))


def _fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, mode: str) -> Iterable[str]:
    before, after = before or {}, after or {}
    for name in [*after, *(k for k in before if k not in after)]:
        if name in _PROSE or name in _HIDDEN:
            continue
        if name in before and name in after:
            old, new = yaml_value(before[name]), yaml_value(after[name])
            if mode == "check":
                yield f"{name}: GitLab has {old}; the inventory wants {new}"
            else:
                yield f"{name}: {old} {ARROW} {new}"
        elif name in after:
            if after[name] in (None, False, ""):
                continue  # a new thing's unset flags say nothing worth reading
            yield f"{name}: {yaml_value(after[name])}"
        else:
            yield f"{name}: {yaml_value(before[name])}"


def _prose(after: Mapping[str, Any] | None) -> tuple[str, ...]:
    return tuple(str(after[name]) for name in _PROSE if after and after.get(name))


def lines(described: Described, indent: str = "  ", *, diff: bool = True) -> list[str]:
    """As plain text: the headline with its symbol, then its fields and diff, indented."""
    out = [f"{indent}{described.symbol} {described.headline}"]
    out += [f"{indent}    {field}" for field in described.fields]
    if described.size:
        out.append(f"{indent}    {described.size}")
    elif diff and described.diff:
        out += [f"{indent}    {line}" for line in described.diff.splitlines()]
    return out


def legend(symbols: Iterable[str], mode: str) -> str | None:
    """One line naming the symbols used, in a fixed order; None when none was."""
    meaning = {**_LEGEND[voice(mode)], **_NOTICES}
    used = set(symbols)
    shown = [f"{s} {text}" for s, text in meaning.items() if s in used]
    return "legend: " + ", ".join(shown) if shown else None
