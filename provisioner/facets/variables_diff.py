"""Pure: how CI/CD variables as GitLab has them differ from the inventory's (see `facets.variables`).

Identity is key plus environment scope. Values are compared in memory and never shown: a change to a
sensitive variable reads `value: (sensitive)`, and GitLab's value of one whose value the inventory
states reads `(not shown)`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.facets.base import PlanOptions, Requirement, lacking, unsupported_keys
from provisioner.gitlab.variables import VariableRecord
from provisioner.gitlab_versions import Version
from provisioner.inventory.spec import ResolvedVariable
from provisioner.model import SENSITIVE, Action, Change
from provisioner.secrets import Secret, Unresolved

METADATA = ("variable_type", "protected", "masked", "raw", "description")
_FLAGS = ("variable_type", "protected", "masked", "hidden", "raw")
NOT_SHOWN = "(not shown)"
"""In place of GitLab's value of a variable whose value the inventory states: a report shows what the
inventory states, never a value GitLab holds that the inventory does not."""
HIDDEN = "rest:Variable.hidden"


@dataclass(frozen=True)
class ObservedVariables:
    records: tuple[VariableRecord, ...]
    server: Version | None = None  # None: not known, everything is taken to exist


@dataclass(frozen=True)
class VariablePlan:
    """The payload of one variable change: what apply needs, in memory only."""

    want: ResolvedVariable | None
    have: VariableRecord | None


def diff_variables(
    facet: str,
    desired: Iterable[ResolvedVariable],
    observed: Iterable[VariableRecord],
    *,
    prune: bool,
    options: PlanOptions,
    left_alone: Collection[tuple[str, str]] = (),
) -> list[Change]:
    """`left_alone`: identities the inventory names but this GitLab cannot store as asked: neither
    compared nor reported as unmanaged."""
    have = {v.identity: v for v in observed if v.identity not in left_alone}
    changes: list[Change] = []
    wanted = {v.identity: v for v in desired if v.identity not in left_alone}
    for identity, want in sorted(wanted.items()):
        changes.extend(_compare(facet, want, have.get(identity), options))
    for identity, record in sorted(have.items()):
        if identity in wanted:
            continue
        action = Action.DELETE if prune else Action.UNMANAGED
        changes.append(
            Change(
                facet,
                _target(record.key, record.environment_scope),
                action,
                before=_flags(record),
                payload=VariablePlan(None, record),
            )
        )
    return changes


def _compare(
    facet: str, want: ResolvedVariable, have: VariableRecord | None, options: PlanOptions
) -> list[Change]:
    target = _target(want.key, want.environment_scope)
    if have is None:
        if want.value is None:
            return [
                Change(
                    facet, target, Action.UNMANAGED, after={"note": "value_unmanaged, but missing on GitLab"}
                )
            ]
        return [Change(facet, target, Action.CREATE, after=_shown(want), payload=VariablePlan(want, None))]
    if "hidden" in want.given and want.hidden != have.hidden:
        # GitLab cannot hide or unhide an existing variable: replace it (needs a value to write).
        if want.value is None:
            return [
                Change(
                    facet,
                    target,
                    Action.UNMANAGED,
                    before=_flags(have),
                    after={"note": "hidden differs; give a value to replace it"},
                )
            ]
        return [
            Change(
                facet,
                target,
                Action.REPLACE,
                before=_flags(have),
                after=_shown(want),
                payload=VariablePlan(want, have),
            )
        ]
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in METADATA:
        if name in want.given and getattr(want, name) != getattr(have, name):
            before[name], after[name] = getattr(have, name), getattr(want, name)
    if _value_differs(want, have, options):
        sensitive = want.sensitive or have.masked or have.hidden
        # GitLab's value is not the inventory's to show: only what the inventory states itself is.
        before["value"] = SENSITIVE if sensitive else NOT_SHOWN
        after["value"] = SENSITIVE if sensitive else want.value
    changes = []
    if after:
        unshown = {"value": have.value} if "value" in before and have.value is not None else {}
        changes.append(
            Change(
                facet,
                target,
                Action.UPDATE,
                before=before,
                after=after,
                payload=VariablePlan(want, have),
                unshown=unshown,
            )
        )
    if isinstance(want.value, Unresolved) and not have.hidden:
        unverified = {"note": f"value not verified: {want.value.reason}"}
        changes.append(Change(facet, target, Action.UNVERIFIED, after=unverified))
    return changes


def _value_differs(want: ResolvedVariable, have: VariableRecord, options: PlanOptions) -> bool:
    if want.value is None or isinstance(want.value, Unresolved):
        return False  # unmanaged, or not given to this (read-only) run
    if have.hidden:
        return options.rotate
    value = want.value.reveal() if isinstance(want.value, Secret) else want.value
    return value != have.value


def _target(key: str, scope: str) -> str:
    return f"variable {key}" if scope == "*" else f"variable {key} [{scope}]"


def _shown(v: ResolvedVariable) -> dict[str, Any]:
    """What the inventory wants, display-safe: its metadata, and its value when it states a literal."""
    shown: dict[str, Any] = {name: getattr(v, name) for name in METADATA}
    shown["hidden"] = v.hidden
    if v.value is not None:
        shown["value"] = SENSITIVE if v.sensitive else v.value
    return shown


def hidden_requirements(section: str, desired: Iterable[ResolvedVariable]) -> tuple[Requirement, ...]:
    return tuple(
        Requirement(_target(v.key, v.environment_scope), _key(section, v), HIDDEN)
        for v in desired
        if v.hidden
    )


def _key(section: str, v: ResolvedVariable) -> str:
    scope = "" if v.environment_scope == "*" else f"[{v.environment_scope}]"
    return f"{section}.{v.key}{scope}.hidden"


def diff_versioned(
    facet: str,
    section: str,
    desired: Sequence[ResolvedVariable],
    observed: ObservedVariables,
    *,
    prune: bool,
    options: PlanOptions,
) -> list[Change]:
    """What this GitLab cannot store (hidden variables before 17.4) said once, the rest compared."""
    asked = hidden_requirements(section, desired)
    cannot = unsupported_keys(asked, observed.server)
    left_alone = {v.identity for v in desired if _key(section, v) in cannot}
    changes = diff_variables(
        facet, desired, observed.records, prune=prune, options=options, left_alone=left_alone
    )
    return [*lacking(facet, asked, observed.server), *changes]


def _flags(record: VariableRecord) -> dict[str, Any]:
    """A variable as GitLab has it, for reports: its flags only. Its value and description are the
    team's (a report that any job can download must not carry them)."""
    return {name: getattr(record, name) for name in _FLAGS}
