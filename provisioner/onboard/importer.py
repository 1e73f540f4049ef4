"""`import`: an inventory that reproduces what a group's projects are, so that `plan` right after is empty.

read (`estate`) -> describe each project (`describe`, through the schema models) -> factor what
projects share into `defaults` and groups (`factor`) -> one document -> YAML with comments
(`yaml_out`). Before the text is handed back it is loaded by the real inventory loader and every
project's merged configuration is compared with what was described: a difference is a bug, and
raised as one rather than written.
"""

from __future__ import annotations

import hmac
import json
import os
import tempfile
import typing
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML

from provisioner.facets import registered
from provisioner.facets.base import Description, Facet, sections
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.inventory.schema import Variables, group_model, project_model
from provisioner.onboard import yaml_out
from provisioner.onboard.describe import describe_target
from provisioner.onboard.estate import Estate, read_estate
from provisioner.onboard.factor import Leaf, factor, flatten, unflatten
from provisioner.onboard.factor import Path as LeafPath


@dataclass(frozen=True)
class ImportResult:
    text: str  # the inventory, YAML
    projects: int
    groups: int
    unmanaged_values: int  # masked and hidden variables left for the user to point at a secret
    notes: tuple[tuple[str, str], ...]  # (project or group, note), display-safe: what was left out, and why
    incomplete: bool  # something could not be read (a 403, a server error): the import is partial


def import_group(
    api: GitLabApi,
    group: str,
    *,
    concurrency: int = 8,
    source: str = "",
    facets: Sequence[Facet[Any]] | None = None,
) -> ImportResult:
    facets = registered() if facets is None else facets
    estate = read_estate(api, group, facets, concurrency=concurrency)
    return build_inventory(estate, facets, source=source or api.url)


def build_inventory(
    estate: Estate, facets: Sequence[Facet[Any]] | None = None, *, source: str = ""
) -> ImportResult:
    """Pure apart from the check through the loader (a temporary file, no network)."""
    facets = registered() if facets is None else facets
    described = {state.ref.path: describe_target(state, facets) for state in estate.projects}
    owned = {state.ref.path: describe_target(state, facets) for state in estate.groups}
    key = os.urandom(32)  # masked values are compared through this run's key, never stored
    leaves = {path: _leaves(d, key) for path, d in described.items()}
    layers = factor(leaves, [g.ref.path for g in estate.groups])

    notes: dict[tuple[str, str], list[str]] = {}
    document: dict[str, Any] = {"version": 1}
    if layers.defaults:
        document["defaults"] = _tree(layers.defaults.items())
    groups: dict[str, Any] = {}
    for path, own in owned.items():
        entry = _tree(layers.groups.get(path, {}).items())
        entry.update(own.entry)  # the group's own sections: never shared with its projects
        if own.notes:
            notes[("groups", path)] = own.notes
        if entry or own.notes:
            groups[path] = entry
    if groups:
        document["groups"] = groups
    document["projects"] = {path: _tree(layers.projects[path].items()) for path in sorted(described)}
    for path, d in described.items():
        if d.notes:
            notes[("projects", path)] = d.notes
    comments = _comments([*described.values(), *owned.values()])
    text = yaml_out.render(document, header=_header(estate, source), notes=notes, comment=comments)
    _check(text, described, owned, facets)
    all_notes = [(where[1], line) for where, lines in sorted(notes.items()) for line in lines]
    return ImportResult(
        text=text,
        projects=len(described),
        groups=len(estate.groups),
        unmanaged_values=_count_unmanaged(document),
        notes=tuple(all_notes),
        incomplete=any(s.incomplete for s in estate.projects) or any(g.incomplete for g in estate.groups),
    )


def _count_unmanaged(node: Any) -> int:
    """Variable entries written without a value (masked, hidden, a schedule's), each counted where it
    is written."""
    if isinstance(node, Mapping):
        own = 1 if node.get("value_unmanaged") is True else 0
        return own + sum(_count_unmanaged(value) for value in node.values())
    if isinstance(node, list):
        return sum(_count_unmanaged(item) for item in node)
    return 0


def _comments(described: Sequence[Description]) -> Callable[[tuple[str, ...], Any], str | None]:
    """The end-of-line comment at a document path: the one a facet gave for that place in an entry and
    that value, wherever the entry ends up (a project's, a group's or the defaults)."""
    known: dict[tuple[tuple[str, ...], str], str] = {}
    for d in described:
        for path, note in d.comments.items():
            value = _at(d.entry, path)
            known[(path, json.dumps(value, sort_keys=True, default=str))] = note

    def comment(path: tuple[str, ...], value: Any) -> str | None:
        inner = path[1:] if path[:1] == ("defaults",) else path[2:]
        return known.get((inner, json.dumps(value, sort_keys=True, default=str)))

    return comment


def _at(entry: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        entry = entry[int(part)] if isinstance(entry, list) else entry.get(part)
    return entry


def _leaves(described: Description, key: bytes) -> dict[LeafPath, Leaf]:
    leaves: dict[LeafPath, Leaf] = {}
    for path, value in flatten(described.entry).items():
        identity: Hashable = json.dumps(value, sort_keys=True)
        masked = described.private.get(path)
        if masked is not None:
            if any(value is None for _, value in masked):
                identity = (identity, object())  # hidden: values unknown, so never shared
            else:
                digest = hmac.new(key, json.dumps(masked).encode(), "sha256").digest()
                identity = (identity, digest)
        leaves[path] = Leaf(value, identity)
    return leaves


def _tree(leaves: Any) -> dict[str, Any]:
    return unflatten(sorted(leaves, key=lambda item: order_key(item[0])))


def order_key(path: LeafPath) -> tuple[tuple[int, str], ...]:
    """Schema order: each key ranked by its field's place in its model; names (variables, branches)
    alphabetically."""
    key: list[tuple[int, str]] = []
    model: type[BaseModel] | None = group_model()
    by_name = False  # the next part is a name, not a field
    for part in path:
        if by_name or model is None:
            key.append((0, part))
            by_name = False
            continue
        fields = list(model.model_fields)
        key.append((fields.index(part) if part in fields else len(fields), part))
        model, by_name = _child(model, part)
    return tuple(key)


def _child(model: type[BaseModel], name: str) -> tuple[type[BaseModel] | None, bool]:
    field = model.model_fields.get(name)
    if field is None:
        return None, False
    stack: list[Any] = [field.annotation]
    while stack:
        annotation = stack.pop()
        if isinstance(annotation, type) and issubclass(annotation, Variables):
            return None, True
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation, False
        if typing.get_origin(annotation) is dict:
            inner, _ = _child_of_dict(annotation)
            return inner, True
        stack.extend(typing.get_args(annotation))
    return None, False


def _child_of_dict(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    value = typing.get_args(annotation)[1]
    return (value, False) if isinstance(value, type) and issubclass(value, BaseModel) else (None, False)


def _header(estate: Estate, source: str) -> list[str]:
    where = f" on {source}" if source else ""
    return [
        f"Imported by `provisioner import {estate.root}`{where}: {len(estate.projects)} projects.",
        "What all (or most) projects of a group share sits in defaults and groups; a project's own entry",
        "says where it differs (null removes an inherited value). `plan` against this file changes nothing.",
        "Masked and hidden variables were imported without their values (value_unmanaged: true): point",
        "each at a secret (secret: env:NAME or keyring:SERVICE/NAME) to manage the value too.",
    ]


def _check(
    text: str,
    described: Mapping[str, Description],
    owned: Mapping[str, Description],
    facets: Sequence[Facet[Any]],
) -> None:
    """Load `text` with the real loader; compare every project's merged configuration, and every
    group's own sections, with what was described."""
    extra = sections(facets)
    with tempfile.TemporaryDirectory(prefix="provisioner-import-") as folder:
        path = Path(folder, "inventory.yaml")
        path.write_text(text, encoding="utf-8")
        loaded = load_inventory(path, sections=extra)
    found = {spec.path: spec.config for spec in loaded.projects}
    if set(found) != set(described):
        raise AssertionError("the generated inventory does not name exactly the imported projects")
    project = project_model(extra)
    for name, d in described.items():
        if found[name] != project.model_validate(d.entry):
            raise AssertionError(f"the generated inventory does not reproduce {name}")
    written = YAML(typ="safe", pure=True).load(text).get("groups") or {}
    group = group_model(extra)
    for name, d in owned.items():
        if not d.entry:
            continue
        mine = {key: (written.get(name) or {}).get(key) for key in d.entry}
        if group.model_validate(mine) != group.model_validate(d.entry):
            raise AssertionError(f"the generated inventory does not reproduce the group {name} itself")
