"""`import` of a project's pipeline schedules: each by description, its variables without their values.

A schedule variable's value may be a secret, and GitLab shows it to whoever may read the schedule's
variables: `import` never writes it. Each variable is written `value_unmanaged: true` (its key and
type managed, its value left as GitLab has it), with a comment saying how to point it at a secret,
as masked CI/CD variables are. Two schedules with one description cannot both be named: the first
is written, the other left unmanaged with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.facets.base import Description
from provisioner.facets.describing import fits, read_part
from provisioner.gitlab import pipeline_schedules as api_schedules
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.pipeline_schedules import ScheduleRecord, ScheduleVariableRecord, short_ref
from provisioner.inventory.sections.pipeline_schedules import Schedule
from provisioner.model import ProjectRef

VALUE_NOTE = (
    "value not imported: replace value_unmanaged: true with secret: (env:, keyring:, file:) or value:"
)


@dataclass(frozen=True)
class CurrentSchedule:
    record: ScheduleRecord
    variables: tuple[ScheduleVariableRecord, ...] | None  # None: not shown to the token


def read_schedules(api: GitLabApi, project: ProjectRef, notes: list[str]) -> tuple[CurrentSchedule, ...]:
    def shown(record: ScheduleRecord) -> tuple[ScheduleVariableRecord, ...] | None:
        what = f"pipeline_schedules: {record.description}: variables"
        return read_part(notes, what, lambda: api_schedules.variables(api, project.id, record.id))

    return tuple(CurrentSchedule(r, shown(r)) for r in api_schedules.schedules(api, project.id))


def describe_schedules(
    section: str, project: ProjectRef, current: tuple[CurrentSchedule, ...] | None
) -> Description:
    out = Description()
    schedules: dict[str, Any] = {}
    for item in sorted(current or (), key=lambda c: c.record.id):
        record = item.record
        where = f"{section}: {record.description}"
        if record.description in schedules:
            out.notes.append(f"{where}: another schedule has this description; this one is unmanaged")
            continue
        entry: dict[str, Any] = {"cron": " ".join(record.cron.split()), "ref": short_ref(record.ref)}
        if record.cron_timezone != "UTC":
            entry["cron_timezone"] = record.cron_timezone
        if not record.active:
            entry["active"] = False
        if item.variables is None:
            out.notes.append(f"{where}: its variables are not shown to this token; unmanaged")
        elif item.variables:
            entry["variables"] = {
                v.key: {"value_unmanaged": True}
                | ({"variable_type": "file"} if v.variable_type == "file" else {})
                for v in sorted(item.variables, key=lambda v: v.key)
            }
            for key in entry["variables"]:
                out.comments[(section, "schedules", record.description, "variables", key)] = VALUE_NOTE
        if fits(Schedule, entry, where, out.notes):
            schedules[record.description] = entry
    if schedules:
        out.entry[section] = {"schedules": schedules}
    return out
