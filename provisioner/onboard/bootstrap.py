"""Bootstrap one project: add it to the inventory, validated, before anything is sent to GitLab.

`prepare` edits the inventory in memory (see `inventory_edit`), writes the result to a hidden file
next to the inventory (so that includes and `file:` secrets resolve as they will) and loads it with
the real loader: the whole inventory, the new entry and its blueprint variables are validated before
the first API call. The staged file replaces the inventory (`commit`, an atomic rename) only once the
project has converged; otherwise it is thrown away (`discard`) and the inventory is untouched. A
project the inventory already has is applied as it is written, and the file is left alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from provisioner import safe_files
from provisioner.errors import InputError, InputProblem
from provisioner.facets import inventory_sections
from provisioner.inventory import load_inventory
from provisioner.inventory.spec import LoadedInventory, ProjectSpec
from provisioner.onboard.inventory_edit import EditError, add_project

NEW_INVENTORY = "version: 1\n"


@dataclass(frozen=True)
class BootstrapRequest:
    inventory: Path
    project: str  # full path, GROUP/NAME
    entry: Mapping[str, Any] = field(default_factory=dict)
    """What the command line gives for the project's entry (`create: true` is added)."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Entry key -> the option that gave it, so that a problem with it is told as that option's."""
    extra_roots: tuple[Path, ...] = ()  # see `confine.Roots`


@dataclass(frozen=True)
class Staged:
    """The inventory as bootstrap will leave it: validated, not yet in place."""

    target: Path
    spec: ProjectSpec  # the project, with `create` forced on
    inventory: LoadedInventory
    staged: Path | None = None  # the edited file, next to the target; None: the target stays as it is

    @property
    def namespace(self) -> str:
        return self.spec.path.rpartition("/")[0]


def parse_vars(pairs: Sequence[str]) -> dict[str, Any]:
    """`--var NAME=VALUE`s. A value is read as YAML, as it would be written in the inventory
    (true, 3, [a, b]); a value YAML would read as a decimal number or a date stays text (3.12)."""
    found: dict[str, Any] = {}
    problems = []
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(_arg_problem(pair, "expected NAME=VALUE"))
        elif name in found:
            problems.append(_arg_problem(pair, f"{name} is given twice"))
        else:
            found[name] = _value(raw)
    if problems:
        raise InputError(problems)
    return found


def _value(raw: str) -> Any:
    try:
        value = YAML(typ="safe", pure=True).load(raw)
    except YAMLError:
        return raw
    return value if isinstance(value, str | bool | int | list) else raw


def _arg_problem(pair: str, message: str) -> InputProblem:
    return InputProblem("--var", 0, 0, "", f"{pair!r}: {message}")


def prepare(request: BootstrapRequest) -> Staged:
    """Everything bootstrap checks before talking to GitLab. Raises InputError."""
    target = request.inventory
    existing = _existing(target, request.project, request.extra_roots)
    if existing is not None:
        spec, loaded = existing
        _refuse_conflicts(spec, request)
        return Staged(target, _forced(spec), loaded)
    text = target.read_text(encoding="utf-8") if target.exists() else NEW_INVENTORY
    entry: dict[str, Any] = {"create": True, **request.entry}
    try:
        edited = add_project(text, request.project, entry)
    except EditError as exc:
        raise InputError([InputProblem(str(target), 0, 0, "", str(exc))]) from None
    staged = safe_files.stage(target, edited, suffix=".bootstrap")
    try:
        loaded = _load(staged, target, request)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return Staged(target, _forced(loaded.projects[0]), loaded, staged)


def _existing(
    target: Path, project: str, extra_roots: tuple[Path, ...]
) -> tuple[ProjectSpec, LoadedInventory] | None:
    if not target.exists():
        return None
    whole = load_inventory(
        target, locate=True, sections=inventory_sections(), extra_roots=extra_roots
    )  # a conflict is told at the project's line
    for spec in whole.projects:
        if spec.path.lower() == project.lower():
            return spec, dataclasses.replace(whole, projects=(spec,), groups=())
    return None


def _refuse_conflicts(spec: ProjectSpec, request: BootstrapRequest) -> None:
    config = spec.config.model_dump(mode="json")
    problems = []
    for key, value in request.entry.items():
        have = config.get(key)
        if isinstance(value, Mapping) and isinstance(have, Mapping):
            problems += [
                f"{key}.{name} = {have.get(name)!r}, not {item!r}"
                for name, item in value.items()
                if have.get(name) != item
            ]
        elif have != value:
            problems.append(f"{key} {have!r}, not {value!r}")
    if problems:
        where = spec.source
        message = f"{spec.path} is already in the inventory with " + "; ".join(problems) + ": edit it there"
        raise InputError([InputProblem(where.file, where.line, where.column, "", message)])


def _forced(spec: ProjectSpec) -> ProjectSpec:
    return dataclasses.replace(spec, config=spec.config.model_copy(update={"create": True}))


def _load(staged: Path, target: Path, request: BootstrapRequest) -> LoadedInventory:
    """Load the staged file. Its problems are told in the user's words: a value the command line gave
    as the option that gave it, anything else at the line of the file as it would become."""
    try:
        return load_inventory(
            staged, only=[request.project], sections=inventory_sections(), extra_roots=request.extra_roots
        )
    except InputError as exc:
        raise InputError([_reworded(p, staged, target, request) for p in exc.problems]) from None


def _reworded(problem: InputProblem, staged: Path, target: Path, request: BootstrapRequest) -> InputProblem:
    if Path(problem.file).resolve() != staged.resolve():
        return problem  # an included file
    project = request.project
    entry = f"projects.{project}."
    for key, option in request.options.items():
        if problem.field.startswith(f"{entry}{key}."):
            return InputProblem(option, 0, 0, problem.field.removeprefix(f"{entry}{key}."), problem.message)
        if problem.field == entry + key:
            return InputProblem(option, 0, 0, "", problem.message)
    if problem.field == entry.rstrip("."):
        return InputProblem(project, 0, 0, "", problem.message)
    return dataclasses.replace(problem, file=str(target), message=f"{problem.message} (with {project} added)")


def commit(staged: Staged) -> bool:
    """Put the edited inventory in place (atomically); False when there was nothing to write."""
    if staged.staged is None:
        return False
    safe_files.put_in_place(staged.staged, staged.target)
    return True


def discard(staged: Staged) -> None:
    if staged.staged is not None:
        staged.staged.unlink(missing_ok=True)
