"""A project's pipeline schedules and their variables (REFERENCE 2.14, lib/api/ci/pipeline_schedules.rb).

Quirks kept here: the list carries no variables (one GET per schedule shows them, and only to a
Maintainer or the schedule's owner); GitLab stores a short ref as the full one (`refs/heads/main`)
when the branch or tag exists; only the owner may change a schedule or set its variables (a
Maintainer takes ownership first); deleting a variable answers 202 with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.errors import Forbidden, NotFound, Rejected
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once
from provisioner.gitlab.transport import encode

SCHEDULES = "pipeline_schedules"
VARIABLES_HINT = (
    "GitLab lets this token set no pipeline variables in this project: its settings "
    "ci_pipeline_variables_minimum_override_role (with restrict_user_defined_variables) must allow the "
    "token's role"
)


@dataclass(frozen=True)
class ScheduleVariableRecord:
    key: str
    value: str | None
    variable_type: str = "env_var"


@dataclass(frozen=True)
class ScheduleRecord:
    id: int
    description: str
    ref: str
    cron: str
    cron_timezone: str
    active: bool
    owner_id: int | None = None
    owner: str | None = None  # the owner's username


def short_ref(ref: str) -> str:
    """`refs/heads/main` and `refs/tags/v1` as GitLab shows them for display (`ref_for_display`)."""
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def to_record(entity: Mapping[str, Any]) -> ScheduleRecord:
    owner = entity.get("owner") or {}
    return ScheduleRecord(
        id=int(entity["id"]),
        description=str(entity.get("description") or ""),
        ref=str(entity.get("ref") or ""),
        cron=str(entity.get("cron") or ""),
        cron_timezone=str(entity.get("cron_timezone") or "UTC"),
        active=bool(entity.get("active")),
        owner_id=int(owner["id"]) if owner.get("id") is not None else None,
        owner=str(owner["username"]) if owner.get("username") else None,
    )


def to_variable(entity: Mapping[str, Any]) -> ScheduleVariableRecord:
    return ScheduleVariableRecord(
        key=str(entity["key"]),
        value=entity.get("value"),
        variable_type=str(entity.get("variable_type") or "env_var"),
    )


def schedules(api: GitLabApi, project_id: int) -> tuple[ScheduleRecord, ...]:
    path = f"/projects/{project_id}/pipeline_schedules"
    return cache.read(api, project_id, SCHEDULES, lambda: tuple(map(to_record, api.list(path))))


def variables(api: GitLabApi, project_id: int, schedule_id: int) -> tuple[ScheduleVariableRecord, ...] | None:
    """The schedule's variables; None when GitLab does not show them to this token."""

    def fetch() -> tuple[ScheduleVariableRecord, ...] | None:
        details = api.get(f"/projects/{project_id}/pipeline_schedules/{schedule_id}")
        found = details.get("variables")
        return None if found is None else tuple(map(to_variable, found))

    return cache.read(api, project_id, variables_key(schedule_id), fetch)


def variables_key(schedule_id: int) -> str:
    return f"{SCHEDULES}/{schedule_id}/variables"


def create(api: GitLabApi, project_id: int, data: Mapping[str, Any]) -> int:
    """The new schedule's id. POST is not idempotent: after an unknown outcome, look for it by
    description before trying again."""
    description = str(data["description"])

    def find() -> Mapping[str, Any] | None:
        cache.unknown(api, project_id, SCHEDULES)
        found = next((s for s in schedules(api, project_id) if s.description == description), None)
        return None if found is None else {"id": found.id}

    answer = create_once(lambda: api.post(f"/projects/{project_id}/pipeline_schedules", dict(data)), find)
    _answered(api, project_id, answer)
    if isinstance(answer.get("variables"), list):  # the details of a new schedule: none yet
        shown = tuple(map(to_variable, answer["variables"]))
        cache.read(api, project_id, variables_key(int(answer["id"])), lambda: shown)
    return int(answer["id"])


def update(api: GitLabApi, project_id: int, schedule_id: int, data: Mapping[str, Any]) -> None:
    answer = api.put(f"/projects/{project_id}/pipeline_schedules/{schedule_id}", dict(data))
    _answered(api, project_id, answer)


def take_ownership(api: GitLabApi, project_id: int, schedule_id: int) -> None:
    answer = api.post(f"/projects/{project_id}/pipeline_schedules/{schedule_id}/take_ownership")
    _answered(api, project_id, answer)


def delete(api: GitLabApi, project_id: int, schedule_id: int) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/pipeline_schedules/{schedule_id}")
    cache.answered(api, project_id, SCHEDULES, lambda kept: tuple(s for s in kept if s.id != schedule_id))


def set_variable(
    api: GitLabApi,
    project_id: int,
    schedule_id: int,
    key: str,
    value: str,
    variable_type: str,
    *,
    exists: bool,
) -> None:
    base = f"/projects/{project_id}/pipeline_schedules/{schedule_id}/variables"
    data = {"value": value, "variable_type": variable_type}
    with _hinted():
        if exists:
            answer = api.put(f"{base}/{encode(key)}", data)
        else:
            try:
                answer = create_once(
                    lambda: api.post(base, {"key": key, **data}),
                    lambda: _variable(api, base, project_id, schedule_id, key),
                )
            except Rejected as exc:
                if "has already been taken" not in exc.message:
                    raise
                answer = None  # our lost attempt landed: read it again
    record = to_variable(answer) if isinstance(answer, Mapping) and "key" in answer else None
    what = variables_key(schedule_id)
    if record is None:
        cache.unknown(api, project_id, what)
        return
    cache.answered(api, project_id, what, lambda kept: (*(v for v in kept or () if v.key != key), record))


def delete_variable(api: GitLabApi, project_id: int, schedule_id: int, key: str) -> None:
    path = f"/projects/{project_id}/pipeline_schedules/{schedule_id}/variables/{encode(key)}"
    with _hinted(), contextlib.suppress(NotFound):
        api.delete(path)
    what = variables_key(schedule_id)
    cache.answered(api, project_id, what, lambda kept: tuple(v for v in kept or () if v.key != key))


def _variable(api: GitLabApi, base: str, project_id: int, schedule_id: int, key: str) -> Any:
    cache.unknown(api, project_id, variables_key(schedule_id))
    found = variables(api, project_id, schedule_id) or ()
    return next(
        ({"key": v.key, "value": v.value, "variable_type": v.variable_type} for v in found if v.key == key),
        None,
    )


@contextlib.contextmanager
def _hinted() -> Any:
    """A 403 on a schedule's variables most often means the project restricts pipeline variables."""
    try:
        yield
    except Forbidden as exc:
        raise Forbidden(exc.method, exc.path, exc.status, f"{exc.message}: {VARIABLES_HINT}") from exc


def _answered(api: GitLabApi, project_id: int, answer: Any) -> None:
    """The answer is the schedule (its details); anything else proves nothing."""
    if not (isinstance(answer, Mapping) and "id" in answer and "cron" in answer):
        cache.unknown(api, project_id, SCHEDULES)
        return
    record = to_record(answer)
    cache.answered(api, project_id, SCHEDULES, lambda kept: (*(s for s in kept if s.id != record.id), record))
