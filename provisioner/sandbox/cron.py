"""Five-field cron, as GitLab's schedules take it: minute, hour, day of month, month (1-12 or jan-dec),
day of week (0-7 or sun-sat); each a `*`, a value, a range, a list, with `/step`
[G:lib/gitlab/ci/cron_parser.rb, which hands the text to Fugit::Cron]. Fugit also reads forms the
sandbox does not (seconds, `@daily`): the sandbox refuses them.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

_FIELD = {
    0: (0, 59, {}),
    1: (0, 23, {}),
    2: (1, 31, {}),
    3: (
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(
                ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            )
        },
    ),
    4: (0, 7, {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
}


def cron_valid(cron: str) -> bool:
    fields = cron.split()
    return len(fields) == 5 and all(_part_valid(part, *_FIELD[i]) for i, part in enumerate(fields))


def _part_valid(text: str, low: int, high: int, names: dict[str, int]) -> bool:
    for item in text.lower().split(","):
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        bounds = base.split("-")
        if len(bounds) > 2 or not all(_value(b, low, high, names) is not None for b in bounds):
            return False
    return True


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
    number = names.get(text, int(text) if text.isdigit() else None)
    return number if number is not None and low <= number <= high else None


def timezone_valid(name: str) -> bool:
    """An IANA zone name (TZInfo's); ActiveSupport's own names are not modelled."""
    return name in _zones()


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC", "Etc/UTC"}
