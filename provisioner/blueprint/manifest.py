"""A blueprint's manifest (`blueprint.yaml`): its name, version, typed variables and the files it renders.

The manifest is the blueprint's documentation: `provisioner blueprint list` prints it. Mistakes in it are
reported with file, line and column, like mistakes in the inventory. This module finds and loads
blueprints; the manifest's schema is `blueprint.manifest_schema`.
"""

from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from provisioner.blueprint.manifest_schema import Manifest
from provisioner.errors import InputError, InputProblem


def _blueprints_dir() -> Path:
    """$PROVISIONER_BLUEPRINTS (a team's own catalogue), else the repository's blueprints/ (a clone
    or an editable install), else the copy packaged inside the wheel."""
    configured = os.environ.get("PROVISIONER_BLUEPRINTS")
    if configured:
        return Path(configured).expanduser().resolve()
    package = Path(__file__).resolve().parent.parent
    in_repository = package.parent / "blueprints"
    return in_repository if in_repository.is_dir() else package / "_blueprints"


BLUEPRINTS_DIR = _blueprints_dir()
MANIFEST = "blueprint.yaml"
TEMPLATES = "templates"


@dataclass(frozen=True)
class Blueprint:
    manifest: Manifest
    directory: Path

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST


class UnknownBlueprint(InputError):
    def __init__(self, name: str, known: list[str]) -> None:
        hint = did_you_mean(name, known) or f" (known: {', '.join(known) or 'none'})"
        super().__init__([InputProblem("blueprints", 0, 0, "blueprint", f"unknown blueprint {name!r}{hint}")])


def did_you_mean(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def blueprint_names(root: Path = BLUEPRINTS_DIR) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


DEFAULT_BLUEPRINT = "python-package"


def default_blueprint(root: Path = BLUEPRINTS_DIR) -> str | None:
    """The blueprint of a project bootstrapped outside an inventory: python-package when the catalogue
    has it, else the catalogue's only blueprint (a team's own catalogue, PROVISIONER_BLUEPRINTS); None
    when that is ambiguous."""
    names = blueprint_names(root)
    if DEFAULT_BLUEPRINT in names:
        return DEFAULT_BLUEPRINT
    return names[0] if len(names) == 1 else None


def load_blueprint(name: str, root: Path = BLUEPRINTS_DIR) -> Blueprint:
    known = blueprint_names(root)
    if name not in known:
        raise UnknownBlueprint(name, known)
    stat = (root / name / MANIFEST).stat()
    return _load(root / name, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _load(directory: Path, mtime_ns: int, size: int) -> Blueprint:
    """Parsed once per run (bulk runs render one blueprint for many projects); read again once changed."""
    name = directory.name
    path = directory / MANIFEST
    data = _read_yaml(path)
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise InputError([_problem(path, data, err) for err in exc.errors()]) from None
    if manifest.name != name:
        raise InputError([InputProblem(str(path), *_where(data, ("name",)), "name", f"must be {name!r}")])
    return Blueprint(manifest, directory)


def list_blueprints(root: Path = BLUEPRINTS_DIR) -> list[Blueprint]:
    return [load_blueprint(name, root) for name in blueprint_names(root)]


def _read_yaml(path: Path) -> Any:
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise InputError([InputProblem(str(path), line, column, "", str(exc.problem))]) from None


def _problem(path: Path, data: Any, err: Any) -> InputProblem:
    loc = tuple(err["loc"])
    line, column = _where(data, loc)
    message = str(err["msg"]).removeprefix("Value error, ")
    return InputProblem(str(path), line, column, ".".join(str(p) for p in loc), message)


def _where(data: Any, loc: tuple[Any, ...]) -> tuple[int, int]:
    """1-based line and column of the deepest node of `loc` that exists in the YAML document."""
    line = column = 0
    node = data
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and key in node:
                pos = lc.key(key) if lc is not None else None
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                pos = lc.item(key) if lc is not None else None
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
        if pos is not None:
            line, column = pos[0] + 1, pos[1] + 1
        node = node[key]
    return line, column
