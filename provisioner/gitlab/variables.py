"""CI/CD variables of a project or a group (REFERENCE 2.3).

`owner` is the API prefix of the variables' owner: `/projects/12` or `/groups/3`. Every request that
names a key also names its environment scope, because GitLab answers 409 when a key exists in several
scopes and no `filter[environment_scope]` is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.errors import NotFound, Rejected
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once
from provisioner.gitlab.transport import encode
from provisioner.secrets import Secret, remember

VARIABLES = "variables"


@dataclass(frozen=True)
class VariableRecord:
    key: str
    value: str | None  # None when hidden (GitLab never returns it again)
    environment_scope: str = "*"
    variable_type: str = "env_var"
    masked: bool = False
    hidden: bool = False
    protected: bool = False
    raw: bool = False
    description: str | None = None

    @property
    def identity(self) -> tuple[str, str]:
        return (self.key, self.environment_scope)


def to_record(entity: Mapping[str, Any]) -> VariableRecord:
    masked = bool(entity.get("masked"))
    value = entity.get("value")
    if masked and isinstance(value, str):
        remember(value)  # a masked value read back is a secret too: scrub it from any text
    return VariableRecord(
        key=str(entity["key"]),
        value=value,
        environment_scope=str(entity.get("environment_scope") or "*"),
        variable_type=str(entity.get("variable_type") or "env_var"),
        masked=masked,
        hidden=bool(entity.get("hidden")),
        protected=bool(entity.get("protected")),
        raw=bool(entity.get("raw")),
        description=entity.get("description") or None,  # GitLab answers null or ""
    )


def list_variables(api: GitLabApi, owner: str, cache_id: int | None = None) -> list[VariableRecord]:
    """`cache_id`: the project's id, for the run cache (group variables are not cached)."""

    def fetch() -> tuple[VariableRecord, ...]:
        return tuple(map(to_record, api.list(f"{owner}/variables")))

    return list(fetch() if cache_id is None else cache.read(api, cache_id, VARIABLES, fetch))


def _answered(api: GitLabApi, cache_id: int | None, gone: tuple[str, str], answer: Any) -> None:
    """The kept list after a write: without the variable `gone`, with the one GitLab answered (the
    variable entity, as the list shows it). An answer that is not one is no proof: read again."""
    if cache_id is None:
        return
    if answer is not None and not (isinstance(answer, Mapping) and "key" in answer):
        cache.unknown(api, cache_id, VARIABLES)
        return
    record = None if answer is None else to_record(answer)
    cache.answered(
        api,
        cache_id,
        VARIABLES,
        lambda kept: (*(v for v in kept if v.identity != gone), *(() if record is None else (record,))),
    )


def body(
    key: str,
    value: str | Secret | None,
    *,
    environment_scope: str,
    variable_type: str,
    masked: bool,
    hidden: bool,
    protected: bool,
    raw: bool,
    description: str | None,
    creating: bool,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variable_type": variable_type,
        "protected": protected,
        "raw": raw,
        "environment_scope": environment_scope,
        "description": description or "",
    }
    if creating:
        data["key"] = key
        # masked_and_hidden exists on create only; it implies masked (REFERENCE 2.3).
        data["masked_and_hidden" if hidden else "masked"] = True if hidden else masked
    else:
        data["masked"] = masked
    if value is not None:
        data["value"] = value.reveal() if isinstance(value, Secret) else value
    return data


def create(api: GitLabApi, owner: str, data: Mapping[str, Any], cache_id: int | None = None) -> None:
    """POST is not idempotent: when the outcome is unknown, look before trying again."""
    key, scope = str(data["key"]), str(data["environment_scope"])
    try:
        answer = create_once(
            lambda: api.post(f"{owner}/variables", data),
            lambda: True if _exists(api, owner, key, scope) else None,
        )
    except Rejected as exc:
        # Our own earlier attempt may have landed after all (dropped answer, then a retry).
        if "has already been taken" not in exc.message:
            raise
        answer = True
    _answered(api, cache_id, (key, scope), answer)


def update(
    api: GitLabApi, owner: str, key: str, scope: str, data: Mapping[str, Any], cache_id: int | None = None
) -> None:
    answer = api.put(f"{owner}/variables/{encode(key)}", data, **{"filter[environment_scope]": scope})
    _answered(api, cache_id, (key, scope), answer)


def delete(api: GitLabApi, owner: str, key: str, scope: str, cache_id: int | None = None) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"{owner}/variables/{encode(key)}", **{"filter[environment_scope]": scope})
    _answered(api, cache_id, (key, scope), None)


def _exists(api: GitLabApi, owner: str, key: str, scope: str) -> bool:
    found = api.get_optional(f"{owner}/variables/{encode(key)}", **{"filter[environment_scope]": scope})
    return found is not None
