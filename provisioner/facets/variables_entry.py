"""Pure: CI/CD variables (a project's or a group's) in the inventory's words.

Plain values are kept. Masked and hidden ones get `value_unmanaged: true`: their metadata is managed,
their value is never written (GitLab never returns a hidden one, and a masked one is a secret); the
user points each at a `secret:` later, as the comment `variable_note` gives says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from provisioner.gitlab.variables import VariableRecord
from provisioner.inventory.schema import Variable

MASKED_NOTE = (
    "masked on GitLab, value not imported: replace value_unmanaged: true with secret: (env:, keyring:)"
)
HIDDEN_NOTE = (
    "hidden on GitLab, value unreadable: replace value_unmanaged: true with secret: (env:, keyring:)"
)


def variables_entry(
    records: Iterable[VariableRecord],
    notes: list[str],
    masked: dict[str, tuple[tuple[str, str | None], ...]] | None = None,
    *,
    section: str = "variables",
) -> dict[str, Any]:
    """Variables by key, as a user writes them: a plain string when that is all there is."""
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
        if masked is not None and any(r.masked or r.hidden for r in found):
            masked[key] = tuple((r.environment_scope, None if r.hidden else r.value) for r in found)
    return out


def _variable(record: VariableRecord) -> Variable:
    secret = record.masked or record.hidden or record.value is None
    return Variable(
        value=None if secret else record.value,
        value_unmanaged=secret,
        masked=record.masked,
        hidden=record.hidden,
        protected=record.protected,
        raw=record.raw,
        variable_type="file" if record.variable_type == "file" else "env_var",
        environment_scope=record.environment_scope,
        description=record.description,
    )


def _compact(variable: Variable) -> Any:
    written = variable.model_dump(mode="json", exclude_defaults=True)
    return written["value"] if set(written) == {"value"} else written


def variable_note(entry: Any) -> str | None:
    """The comment an imported variable entry needs, if any."""
    if isinstance(entry, dict) and entry.get("value_unmanaged"):
        return HIDDEN_NOTE if entry.get("hidden") else MASKED_NOTE
    return None
