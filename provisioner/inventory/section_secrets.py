"""Secret references inside the sections facets bring (`secret:` keys at any depth, such as a webhook's
token): resolved while loading like the variables' (`inventory.variables`), so that a missing
environment variable, file or keyring entry is an input error before the first API call.

A target's spec holds them as `ProjectSpec.secrets` / `GroupSpec.secrets`, by reference: a facet asks
`spec.secrets[ref]` for the value of the `secret:` it reads in its section. One reference names one
value within a target; the same `file:` reference written in two files of different folders is
refused, as it would name two values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from provisioner.errors import InputProblem
from provisioner.inventory.document import Document, Path, format_path
from provisioner.inventory.merge import Merged
from provisioner.inventory.variables import SecretResolver, base_dir
from provisioner.secrets import Secret, SecretLookupError

SECRET_KEY = "secret"


def references(data: Any, at: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every `secret: <reference>` under `data`: (the path of the `secret` key, the reference)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == SECRET_KEY and isinstance(value, str):
                yield (*at, key), value
            else:
                yield from references(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from references(value, (*at, index))


def check(
    document: Document, root: Path, sections: Iterable[str], resolver: SecretResolver
) -> list[InputProblem]:
    """Resolve every reference written in `sections` of the layer at `root`: a problem for each that fails."""
    problems: list[InputProblem] = []
    layer: Any = document.data
    for part in root:
        layer = layer.get(part) if isinstance(layer, dict) else None
    if not isinstance(layer, dict):
        return problems
    for section in sections:
        for path, ref in references(layer.get(section), (*root, section)):
            try:
                resolver.resolve(ref, base_dir(document))
            except SecretLookupError as exc:
                spot = document.location(path)
                problems.append(InputProblem(spot.file, spot.line, spot.column, format_path(path), str(exc)))
    return problems


def resolve(
    merged: Merged, sections: Iterable[str], resolver: SecretResolver, problems: list[InputProblem]
) -> Mapping[str, Secret] | None:
    """The values of the references in the merged `sections`, by reference; None when one failed
    (already reported by `check` where it is written) or names two values."""
    found: dict[str, Secret] = {}
    for section in sections:
        for path, ref in references(merged.data.get(section), (section,)):
            origin = merged.source(path)
            if origin is None:
                return None
            try:
                secret = resolver.resolve(ref, base_dir(origin[0].document))
            except SecretLookupError:
                return None
            if found.setdefault(ref, secret) != secret:
                spot = origin[0].location(path)
                message = (
                    f"{ref} names different files from different inventory folders: use distinct references"
                )
                problems.append(InputProblem(spot.file, spot.line, spot.column, format_path(path), message))
                return None
    return found
