"""List filters as Grape declares them: typed, coerced, and applied, or refused.

A documented filter the sandbox does not model is refused with Grape's own wording for a value it
rejects (`<name> does not have a valid value`, 400) rather than accepted and ignored: an answer that
looks right and is not is worse than a refusal. Each list route names its filters here or in its module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from provisioner.sandbox.http import Params, param_error
from provisioner.sandbox.times import instant, parse_datetime

T = TypeVar("T")
# Gitlab::Access.all_values: the `values:` of every min_access_level parameter.
ACCESS_LEVELS = (0, 5, 10, 15, 20, 30, 40, 50)


def int_list(params: Params, name: str) -> list[int] | None:
    """`Array[Integer]` with `CommaSeparatedToIntegerArray`: `x[]=1&x[]=2`, `x=1,2` or a JSON array."""
    values = params.list(name)
    if values is None:
        return None
    try:
        return [int(v) for v in values]
    except ValueError as exc:
        raise param_error(f"{name} is invalid") from exc


def access_level(params: Params, name: str = "min_access_level") -> int | None:
    level = params.int(name)
    if level is not None and level not in ACCESS_LEVELS:
        raise param_error(f"{name} does not have a valid value")
    return level  # type: ignore[no-any-return]


def refuse(params: Params, *names: str) -> None:
    """Documented filters the sandbox does not model: refused when asked for (a false boolean asks for
    nothing, so it passes)."""
    for name in names:
        if name in params and str(params.raw(name)).strip().lower() not in ("false", "0", "", "none"):
            raise param_error(f"{name} does not have a valid value")


def between(
    params: Params, items: Sequence[T], stamp: Callable[[T], str], after: str, before: str
) -> list[T]:
    """`<x>_after` / `<x>_before` (DateTime): strictly after, strictly before."""
    found = list(items)
    low = _moment(params, after)
    high = _moment(params, before)
    if low is not None:
        found = [i for i in found if instant(stamp(i)) > low]
    if high is not None:
        found = [i for i in found if instant(stamp(i)) < high]
    return found


def _moment(params: Params, name: str) -> datetime | None:
    raw = params.raw(name)
    return None if raw is None else parse_datetime(name, raw)


def search(needle: str | None, fields: Iterable[str]) -> bool:
    return needle is None or any(needle.lower() in f.lower() for f in fields)
