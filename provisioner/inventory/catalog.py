"""Collect the layers of every file: `defaults` fragments, groups and projects, each defined once."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner.errors import InputProblem
from provisioner.inventory.document import Document, Path, format_path
from provisioner.inventory.files import InventoryFiles
from provisioner.inventory.findings import Finding, findings
from provisioner.inventory.merge import Layer, strip_removals
from provisioner.inventory.schema import Inventory, full_path_problem


@dataclass
class Catalog:
    defaults: list[Layer] = field(default_factory=list)  # weakest first
    groups: dict[str, Layer] = field(default_factory=dict)
    projects: dict[str, Layer] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)
    _by_lower_path: dict[tuple[str, str], str] = field(default_factory=dict)

    def groups_above(self, project: str) -> list[Layer]:
        """The groups that contain `project`, at any depth, shallowest first (GitLab paths ignore case)."""
        parts = project.lower().split("/")
        prefixes = ("/".join(parts[:depth]) for depth in range(1, len(parts)))
        names = (self._by_lower_path.get(("groups", prefix)) for prefix in prefixes)
        return [self.groups[name] for name in names if name is not None and name in self.groups]


def check_document(document: Document, model: type[Inventory] = Inventory) -> list[InputProblem]:
    """Problems in one file on its own: the schema, with `null` read as "remove nothing".

    Each group and project is validated on its own, then the rest of the file: the models of a whole
    file of 10,000 projects, with the copy of it they are made from, were the peak of a run's memory."""
    if not document.readable:
        return []
    data = document.data
    if not isinstance(data, dict):
        spot = document.location(())
        message = "an inventory file is a mapping with version, include, defaults, groups and projects"
        return [InputProblem(spot.file, spot.line, spot.column, "", message)]
    found: list[Finding] = []
    rest = {key: value for key, value in data.items() if value is not None or key == "version"}
    for section in ("groups", "projects"):
        entries = rest.get(section)
        if not isinstance(entries, dict):
            continue  # the check of the rest says what is wrong with it
        rest[section] = {}
        entry_model = _entry_model(model, section)
        for name, entry in entries.items():
            found += [
                replace(finding, path=(section, name, *finding.path))
                for finding in _validated(entry_model, _entry_as_written(entry))
            ]
    if isinstance(rest.get("defaults"), dict):
        rest["defaults"] = strip_removals(rest["defaults"])
    found = _validated(model, rest) + found
    problems = []
    for finding in found:
        spot = document.location(finding.path, at_key=finding.at_key)
        field_path = format_path((*finding.path, *finding.missing))
        problems.append(InputProblem(spot.file, spot.line, spot.column, field_path, finding.message))
    return problems


def _entry_model(model: type[Inventory], section: str) -> type[BaseModel]:
    """The model of one entry of `groups` or `projects` (`dict[str, <entry model>]`)."""
    entry: type[BaseModel] = typing.get_args(model.model_fields[section].annotation)[1]
    return entry


def _validated(model: type[BaseModel], data: Any) -> list[Finding]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return findings(exc, model, data)
    return []


def _entry_as_written(entry: Any) -> Any:
    if entry is None:
        return {}  # `platform/billing:` alone: a project that takes everything from defaults and groups
    return strip_removals(entry) if isinstance(entry, dict) else entry


def catalog(files: InventoryFiles) -> Catalog:
    found = Catalog()
    for document in files.precedence:
        if isinstance(document.data, dict) and isinstance(document.data.get("defaults"), dict):
            found.defaults.append(Layer(document, ("defaults",)))
    for document in files.read_order:
        data = document.data if isinstance(document.data, dict) else {}
        for section, entries in (("groups", found.groups), ("projects", found.projects)):
            names = data.get(section)
            for name, value in names.items() if isinstance(names, dict) else ():
                if value is None or isinstance(value, dict):
                    _add(found, entries, Layer(document, (section, name)))
    return found


def _add(found: Catalog, entries: dict[str, Layer], layer: Layer) -> None:
    section, name = layer.root
    assert isinstance(section, str) and isinstance(name, str)
    problem = full_path_problem(name, project=section == "projects")
    if problem is None:
        clash = found._by_lower_path.setdefault((section, name.lower()), name)
        if clash == name and name not in entries:
            entries[name] = layer
            return
        first = entries[clash].location((), at_key=True)
        problem = f"already defined at {first}"
        if clash != name:
            problem = f"already defined as '{clash}' at {first} (GitLab paths ignore case)"
    found.problems.append(_problem(layer.document, layer.root, problem))


def _problem(document: Document, path: Path, message: str) -> InputProblem:
    spot = document.location(path, at_key=True)
    return InputProblem(spot.file, spot.line, spot.column, format_path(path), message)
