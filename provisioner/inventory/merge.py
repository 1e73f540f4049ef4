"""Layer project configurations: `defaults` < groups (ancestors first) < the project.

Mappings merge deeply, lists replace, `null` removes what an earlier layer set. Under `variables`
(the project's, the group's own, and any mapping named `variables` inside a facet's section, such as a
pipeline schedule's) each key is replaced whole (a project's definition of PYPI_TOKEN never mixes
fields with a group's), while `prune` merges like any flag. Every value written remembers the layer it came from, so that a
problem found after merging points to the line that provided the value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from provisioner.inventory.document import Document, Path
from provisioner.inventory.spec import Location

# Mappings whose entries replace each other whole instead of merging.
ATOMIC_ENTRIES: frozenset[Path] = frozenset({("variables",), ("group_variables",)})


def atomic(path: tuple[str | int, ...]) -> bool:
    """Whether the entries of the mapping at `path` replace each other whole: the top-level variables,
    and a `variables` mapping nested in a section."""
    return path in ATOMIC_ENTRIES or (len(path) > 1 and path[-1] == "variables")


@dataclass(frozen=True)
class Layer:
    """A project-shaped mapping in one document: `defaults`, `groups.<path>` or `projects.<path>`."""

    document: Document
    root: Path  # where the mapping sits in its document, e.g. ("projects", "platform/billing")

    @property
    def data(self) -> Any:
        value = self.document.data
        for part in self.root:
            value = value[part]
        return value

    def location(self, path: Path, *, at_key: bool = False) -> Location:
        return self.document.location((*self.root, *path), at_key=at_key)


@dataclass
class Merged:
    """The merged mapping and, for every path in it, the layer that wrote it."""

    data: dict[str, Any] = field(default_factory=dict)
    origin: dict[Path, Layer] = field(default_factory=dict)

    def source(self, path: Path) -> tuple[Layer, Path] | None:
        """The layer that wrote `path`, or the nearest enclosing path that exists, with that path."""
        while path:
            layer = self.origin.get(path)
            if layer is not None:
                return layer, path
            path = path[:-1]
        return None


def merge_layers(layers: Iterable[Layer], *, skip: frozenset[str] = frozenset()) -> Merged:
    """Merge `layers` in order (later wins). Top-level keys in `skip` are left out."""
    merged = Merged()
    for layer in layers:
        data = layer.data
        if isinstance(data, dict):
            overlay = {key: value for key, value in data.items() if key not in skip}
            _merge_into(merged, merged.data, overlay, layer, ())
    return merged


def strip_removals(data: dict[str, Any]) -> dict[str, Any]:
    """A single layer as it reads on its own: `null` removes nothing, so it is just absent."""
    return merge_layers([Layer(Document("", data), ())]).data


def _merge_into(
    merged: Merged, target: dict[str, Any], overlay: dict[str, Any], layer: Layer, at: Path
) -> None:
    whole = atomic(at)
    for key, value in overlay.items():
        path = (*at, key)
        if value is None:
            target.pop(key, None)
            _forget(merged, path)
        elif isinstance(value, dict) and not whole:
            if not isinstance(target.get(key), dict):
                _forget(merged, path)
                target[key] = {}
            merged.origin[path] = layer
            _merge_into(merged, target[key], value, layer, path)
        else:
            _forget(merged, path)
            target[key] = copy.deepcopy(value)
            _remember(merged, value, layer, path)


def _remember(merged: Merged, value: Any, layer: Layer, path: Path) -> None:
    merged.origin[path] = layer
    children: Iterable[tuple[str | int, Any]] = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        _remember(merged, child, layer, (*path, key))


def _forget(merged: Merged, path: Path) -> None:
    if path not in merged.origin:
        return  # every recorded path has its ancestors recorded: nothing below it either
    size = len(path)
    for known in [p for p in merged.origin if p[:size] == path]:
        del merged.origin[known]
