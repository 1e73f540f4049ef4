"""Pure: CI/CD variables (a project's or a group's) in the inventory's words, for `import`.

Plain values are kept. A variable whose value is a secret (masked or hidden on GitLab, or whose key
reads like a credential: `*_TOKEN`, `*PASSWORD`, ...) is written as a secret reference, never with its
value: `secret: env:NAME`, with a comment that says so. The run then needs the value (apply does; a
read-only check compares everything else without it). Names are settled once every target is described
(`settle`): one name per distinct value, so that equal secrets shared by many projects need one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from provisioner.facets.base import Description
from provisioner.gitlab.variables import VariableRecord
from provisioner.inventory.schema import Variable

CREDENTIAL_KEY = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)",
    re.IGNORECASE,
)
"""Keys that read like a credential: their values are secrets even where GitLab does not mask them."""

Values = tuple[tuple[str, str | None], ...]
"""A key's (scope, value) pairs, in memory only: which entries are equal decides names and sharing."""


def is_secret(record: VariableRecord) -> bool:
    return record.masked or record.hidden or record.value is None or bool(CREDENTIAL_KEY.search(record.key))


def variables_entry(
    records: Iterable[VariableRecord],
    notes: list[str],
    secrets: dict[str, Values] | None = None,
    *,
    section: str = "variables",
) -> dict[str, Any]:
    """Variables by key, as a user writes them: a plain string when that is all there is. `secrets`
    receives each secret key's values (for `settle`, never written)."""
    by_key: dict[str, list[VariableRecord]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(record)
    out: dict[str, Any] = {}
    for key in sorted(by_key):
        found = sorted(by_key[key], key=lambda r: r.environment_scope)
        if key == "prune":
            notes.append(f"{section}.prune: a variable named prune cannot be written in the inventory")
            continue
        try:
            entries = [_variable(r) for r in found]
        except ValidationError as exc:
            reason = exc.errors()[0].get("msg", "invalid")
            notes.append(f"{section}.{key}: cannot be expressed ({reason}); left unmanaged")
            continue
        written = [_compact(v) for v in entries]
        out[key] = written[0] if len(written) == 1 else written
        if secrets is not None and any(is_secret(r) for r in found):
            secrets[key] = tuple((r.environment_scope, None if r.hidden else r.value) for r in found)
    return out


def _variable(record: VariableRecord) -> Variable:
    secret = is_secret(record)
    return Variable.model_validate(
        {
            "value": None if secret else record.value,
            "secret": env_reference(record.key, record.environment_scope) if secret else None,
            "masked": record.masked,
            "hidden": record.hidden,
            "protected": record.protected,
            "raw": record.raw,
            "variable_type": "file" if record.variable_type == "file" else "env_var",
            "environment_scope": record.environment_scope,
            "description": record.description,
        }
    )


def env_reference(key: str, scope: str, suffix: str = "") -> str:
    """`env:KEY`, `env:KEY_PRODUCTION` for another scope; `suffix` tells apart different values."""
    name = key if scope == "*" else f"{key}_{re.sub(r'[^A-Za-z0-9]+', '_', scope).strip('_').upper()}"
    return f"env:{name}{suffix}"


def _compact(variable: Variable) -> Any:
    written = variable.model_dump(mode="json", exclude_defaults=True)
    return written["value"] if set(written) == {"value"} else written


def note(entry: Any) -> str | None:
    """The comment a written secret reference needs."""
    entries = entry if isinstance(entry, list) else [entry]
    refs = [e["secret"] for e in entries if isinstance(e, dict) and "secret" in e]
    if not refs:
        return None
    how = (
        "unreadable on GitLab (hidden)"
        if any(isinstance(e, dict) and e.get("hidden") for e in entries)
        else "not imported"
    )
    return f"value {how}: give the run {', '.join(refs)} (or point secret: at the keyring)"


def settle(section: str, described: Mapping[str, Description]) -> None:
    """One environment name per distinct value of a key across every target: the most common values keep
    `KEY`, the others `KEY_2`, `KEY_3`... (a hidden value is unknown: each gets its own). Entries with
    equal names then stay equal, and the importer can share them through a group or `defaults`."""
    groups: dict[str, dict[Any, list[str]]] = {}
    for target, d in sorted(described.items()):
        for (where, key), values in d.private.items():
            if where == section:
                same = values if all(v is not None for _, v in values) else (target, key)  # hidden: unique
                groups.setdefault(key, {}).setdefault(same, []).append(target)
    for key, by_value in groups.items():
        ranked = sorted(by_value.values(), key=lambda targets: (-len(targets), targets[0]))
        for rank, targets in enumerate(ranked):
            suffix = "" if rank == 0 else f"_{rank + 1}"
            for target in targets:
                _rename(described[target], section, key, suffix)


def _rename(d: Description, section: str, key: str, suffix: str) -> None:
    entry = d.entry.get(section, {}).get(key)
    entries = entry if isinstance(entry, list) else [entry]
    for item in entries:
        if isinstance(item, dict) and "secret" in item:
            item["secret"] = env_reference(key, str(item.get("environment_scope", "*")), suffix)
    comment = note(entry)
    if comment:
        d.comments[(section, key)] = comment
