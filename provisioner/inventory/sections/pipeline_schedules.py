"""`pipeline_schedules`: a project's scheduled pipelines, by description (REFERENCE 2.14).

GitLab makes whoever creates or last took over a schedule its owner, and only the owner may change
it: a schedule owned by someone else is changed only when `take_ownership: true` says so (the tool
then takes it over once; later runs find it theirs and write nothing).
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from provisioner.inventory.schema import VariableKey
from provisioner.inventory.sections import Model

_FIELDS = (  # minute, hour, day of month, month, day of week
    (0, 59, ()),
    (0, 23, ()),
    (1, 31, ()),
    (1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    (0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
CRON_RULE = "five fields (minute hour day month weekday), each *, a value, a range or a list, with /step"


def cron_ok(text: str) -> bool:
    fields = text.split()
    return len(fields) == 5 and all(_part_ok(part, *_FIELDS[i]) for i, part in enumerate(fields))


def _part_ok(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    first = 1 if len(names) == 12 else 0
    for item in text.lower().split(","):
        base, slash, step = item.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            return False
        for bound in () if base == "*" else base.split("-", 1):
            value = names.index(bound) + first if bound in names else int(bound) if bound.isdigit() else -1
            if not low <= value <= high:
                return False
    return True


def _cron(text: str) -> str:
    if not cron_ok(text):
        raise ValueError(f"GitLab refuses this cron: {CRON_RULE}, such as '0 3 * * 1-5'")
    return " ".join(text.split())


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(name: str) -> str:
    zones = _zones()
    if zones and name not in zones | {"UTC"}:
        raise ValueError("an IANA time zone name, such as UTC or Europe/Berlin")
    return name


class ScheduleVariable(Model):
    """A variable the scheduled pipelines get. Its value is never shown: plans say (sensitive)."""

    value: str | None = None
    """A literal value. Use `secret` for anything sensitive."""
    secret: str | None = None
    """Where the value comes from: env:NAME, keyring:SERVICE/NAME or file:PATH (relative to this file)."""
    value_unmanaged: bool = False
    """Keep the variable and its type, leave its value as it is on GitLab (what `import` writes)."""
    variable_type: Literal["env_var", "file"] = "env_var"

    @model_validator(mode="after")
    def _one_source(self) -> ScheduleVariable:
        if sum([self.value is not None, self.secret is not None, self.value_unmanaged]) != 1:
            raise ValueError("give exactly one of value, secret or value_unmanaged: true")
        return self


class Schedule(Model):
    """Entries merge field by field across layers: `defaults` may declare a schedule that a project
    only turns on (`active: true`)."""

    cron: Annotated[str, AfterValidator(_cron)] | None = None
    """When, in cron's five fields: `0 3 * * *` is every night at 03:00. Required, here or in a layer
    the project inherits."""
    cron_timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    ref: Annotated[str, Field(min_length=1)] | None = None
    """The branch or tag (`main`, or `refs/tags/v1`); left out, the project's default branch."""
    active: bool = True
    variables: dict[VariableKey, ScheduleVariable | str] | None = None
    """The schedule's variables, all of them (a plain string is a literal value); left out, not
    managed. Each key's entry replaces an inherited one whole."""
    take_ownership: bool = False
    """Take the schedule over when it must change and someone else owns it (GitLab lets only the owner
    change a schedule). Never done otherwise: the schedule keeps its owner."""


class PipelineSchedules(Model):
    schedules: dict[Annotated[str, Field(min_length=1, max_length=255)], Schedule] = {}
    """By description, which identifies a schedule."""
    prune: bool = False
    """Delete schedules the inventory does not name (otherwise they are reported as unmanaged)."""

    def problems_after_merge(self) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
        """(path, missing part, message) of what the merged configuration lacks (see the loader)."""
        return [
            (("schedules", description), ("cron",), "required key is missing (here or in a layer above)")
            for description, schedule in self.schedules.items()
            if schedule.cron is None
        ]
