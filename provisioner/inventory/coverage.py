"""Coverage rules: which groups' every project the inventory manages, listed or not.

`groups.<path>.coverage` says that every project GitLab lists under the group is managed, with the
configuration the inventory gives it (defaults and its groups; its own entry if it has one), but those
its `exclude` globs name. Which projects those are is known only once GitLab is asked (see
`provisioner.engine.coverage`); the loader then builds them like listed ones, from an empty entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from provisioner.errors import InputProblem
from provisioner.inventory.document import Document, format_path
from provisioner.inventory.merge import Layer
from provisioner.inventory.spec import CoverageRule


def _coverage(layer: Layer) -> dict[str, Any] | None:
    """The group's `coverage` mapping as written (the schema checks it), or None."""
    coverage = layer.data.get("coverage") if isinstance(layer.data, dict) else None
    return coverage if isinstance(coverage, dict) else None


def rules(groups: dict[str, Layer]) -> tuple[CoverageRule, ...]:
    found = []
    for name, layer in sorted(groups.items()):
        coverage = _coverage(layer)
        if coverage is not None:
            exclude = tuple(str(g) for g in coverage.get("exclude") or ())
            found.append(CoverageRule(name, exclude, layer.location(("coverage",), at_key=True)))
    return tuple(found)


def problems(groups: dict[str, Layer]) -> list[InputProblem]:
    """An `exclude` entry that cannot name a project under its group (`../x`, another group's path, a
    glob of the whole instance) would exclude nothing, or projects the rule does not cover: said, with
    its place, before anything is asked of GitLab."""
    found = []
    for name, layer in sorted(groups.items()):
        exclude = (_coverage(layer) or {}).get("exclude")
        for index, entry in enumerate(exclude if isinstance(exclude, list) else ()):
            if not isinstance(entry, str) or not entry or _under(entry, name):
                continue  # the schema says what is wrong with an empty value or one not a string
            where = ("coverage", "exclude", index)
            spot = layer.location(where)
            message = (
                f"'{entry}' names no project under group {name}: give a full path or glob "
                f"starting '{name}/', without empty, '.' or '..' segments"
            )
            found.append(
                InputProblem(spot.file, spot.line, spot.column, format_path(layer.root + where), message)
            )
    return found


def _under(pattern: str, group: str) -> bool:
    segments = pattern.split("/")
    return (
        pattern.lower().startswith(group.lower() + "/")
        and len(segments) > group.count("/") + 1
        and all(segment not in ("", ".", "..") for segment in segments)
    )


def uncovered_policy(main: Document) -> str:
    """The main file's `uncovered` (an included file's is validated, and not the one that counts)."""
    data = main.data if isinstance(main.data, dict) else {}
    return str(data.get("uncovered") or "report")


def covered_layers(main: Document, paths: Iterable[str], listed: dict[str, Layer]) -> dict[str, Layer]:
    """An empty entry for each covered project the inventory does not list: it takes everything from
    `defaults` and its groups. Written nowhere: a problem with it points at the layer that gave the value."""
    known = {name.lower() for name in listed}
    fresh = sorted({p for p in paths if p.lower() not in known})
    document = Document(main.file, {"projects": {p: {} for p in fresh}}, located=False)
    return {p: Layer(document, ("projects", p)) for p in fresh}
