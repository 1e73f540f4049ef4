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
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from provisioner.gitlab.transport import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.inventory.schema import Group, Project, Variables
from provisioner.onboard import yaml_out
from provisioner.onboard.describe import Described, describe_project
from provisioner.onboard.estate import Estate, read_estate
from provisioner.onboard.factor import Leaf, factor, flatten, unflatten
from provisioner.onboard.factor import Path as LeafPath
from provisioner.onboard.variables_entry import variables_entry


@dataclass(frozen=True)
class ImportResult:
    text: str  # the inventory, YAML
    projects: int
    groups: int
    unmanaged_values: int  # masked and hidden variables left for the user to point at a secret
    notes: tuple[tuple[str, str], ...]  # (project or group, note), display-safe: what was left out, and why
    incomplete: bool  # something could not be read (a 403, a server error): the import is partial


def import_group(api: GitLabApi, group: str, *, concurrency: int = 8, source: str = "") -> ImportResult:
    estate = read_estate(api, group, concurrency=concurrency)
    return build_inventory(estate, source=source or api.url)


def build_inventory(estate: Estate, *, source: str = "") -> ImportResult:
    """Pure apart from the check through the loader (a temporary file, no network)."""
    described = {state.ref.path: describe_project(state) for state in estate.projects}
    key = os.urandom(32)  # masked values are compared through this run's key, never stored
    leaves = {path: _leaves(d, key) for path, d in described.items()}
    layers = factor(leaves, [g.path for g in estate.groups])

    notes: dict[tuple[str, str], list[str]] = {}
    document: dict[str, Any] = {"version": 1}
    if layers.defaults:
        document["defaults"] = _tree(layers.defaults.items())
    groups: dict[str, Any] = {}
    for group in estate.groups:
        entry = _tree(layers.groups.get(group.path, {}).items())
        group_notes = list(group.notes)
        own = variables_entry(group.variables or (), group_notes)
        if own:
            entry["group_variables"] = own
        if group_notes:
            notes[("groups", group.path)] = group_notes
        if entry or group_notes:
            groups[group.path] = entry
    if groups:
        document["groups"] = groups
    document["projects"] = {path: _tree(layers.projects[path].items()) for path in sorted(described)}
    for path, d in described.items():
        if d.notes:
            notes[("projects", path)] = d.notes
    names = {r.id: r.description for s in estate.projects for r in s.runners or () if r.description}
    text = yaml_out.render(document, header=_header(estate, source), notes=notes, runner_names=names)
    _check(
        text,
        described,
        {path: entry["group_variables"] for path, entry in groups.items() if "group_variables" in entry},
    )
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
    """Variable entries written without a value (masked or hidden), each counted where it is written."""
    if isinstance(node, Mapping):
        own = 1 if node.get("value_unmanaged") is True else 0
        return own + sum(_count_unmanaged(value) for value in node.values())
    if isinstance(node, list):
        return sum(_count_unmanaged(item) for item in node)
    return 0


def _leaves(described: Described, key: bytes) -> dict[LeafPath, Leaf]:
    leaves: dict[LeafPath, Leaf] = {}
    for path, value in flatten(described.entry).items():
        identity: Hashable = json.dumps(value, sort_keys=True)
        masked = described.masked.get(path[1]) if path[0] == "variables" and len(path) == 2 else None
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
    model: type[BaseModel] | None = Group
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
    text: str, described: Mapping[str, Described], group_variables: Mapping[str, Mapping[str, Any]]
) -> None:
    """Load `text` with the real loader; compare every project and group's variables with the intent."""
    with tempfile.TemporaryDirectory(prefix="provisioner-import-") as folder:
        path = Path(folder, "inventory.yaml")
        path.write_text(text, encoding="utf-8")
        loaded = load_inventory(path)
    found = {spec.path: spec.config for spec in loaded.projects}
    if set(found) != set(described):
        raise AssertionError("the generated inventory does not name exactly the imported projects")
    for name, d in described.items():
        if found[name] != Project.model_validate(d.entry):
            raise AssertionError(f"the generated inventory does not reproduce {name}")
    loaded_groups = {g.path: g.variables for g in loaded.groups}
    for group, written in group_variables.items():
        expected = {
            _shape(key, e) for key, found in Variables.model_validate(written).items.items() for e in found
        }
        if {_shape(v.key, v) for v in loaded_groups.get(group, ())} != expected:
            raise AssertionError(f"the generated inventory does not reproduce the variables of group {group}")


def _shape(key: str, v: Any) -> tuple[Any, ...]:
    """A variable as compared: an inventory entry and a loaded one name their fields alike."""
    fields = (
        "environment_scope",
        "value",
        "variable_type",
        "masked",
        "hidden",
        "protected",
        "raw",
        "description",
    )
    return (key, *(getattr(v, name) for name in fields))
