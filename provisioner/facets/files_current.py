"""`import` of the files facet: which blueprint a project was scaffolded with, when the inventory can say
so without changing anything.

The files facet leaves `.provisioner-lock.yaml` in each project it scaffolds: the blueprint, its version and
its variables. Import names that blueprint in the project's entry only if the files facet itself, observing
the project with that entry, finds nothing to do; otherwise (a newer blueprint version, a team edit of a
managed file) the blueprint is left out with a note, since naming it would make the next apply change files.
Variables are written only where they differ from what the blueprint would give without them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint import LOCK_PATH, Lock, LockError, load_blueprint, read_lock, resolve_variables
from provisioner.errors import InputError, ProvisionerError
from provisioner.facets.base import Description
from provisioner.gitlab import repository
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import ProjectRef


@dataclass(frozen=True)
class Scaffolding:
    blueprint: str
    variables: Mapping[str, Any]  # only those that differ from the blueprint's defaults and derivations


def read_scaffolding(
    api: GitLabApi, ref: ProjectRef, notes: list[str], pending: Callable[[ProjectSpec], int]
) -> Scaffolding | None:
    """`pending(spec)`: how many files the facet would change in the project with this spec."""
    if ref.empty_repo or not ref.default_branch:
        return None
    head = repository.file_heads(api, ref.id, ref.default_branch, [LOCK_PATH], default_branch=True)
    if head[LOCK_PATH] is None:
        return None
    try:
        lock = read_lock(repository.read_text(api, ref.id, LOCK_PATH, ref.default_branch))
    except LockError as exc:
        notes.append(f"blueprint: left out ({LOCK_PATH} is not one this tool wrote: {exc})")
        return None
    if lock is None:
        return None
    where = f"blueprint {lock.blueprint} {lock.version} (from {LOCK_PATH})"
    try:
        found = Scaffolding(lock.blueprint, _given(lock, ref.path))
        spec = ProjectSpec(ref.path, Project(blueprint=found.blueprint, blueprint_vars=dict(found.variables)))
        changed = pending(spec)
    except InputError as exc:
        notes.append(f"{where}: left out ({exc.problems[0].message})")
        return None
    except ProvisionerError as exc:
        notes.append(f"{where}: left out ({exc})")
        return None
    if changed:
        count = f"{changed} file{'s' if changed != 1 else ''}"
        notes.append(
            f"{where}: left out, because with it the next apply would change {count}; add it once reviewed"
        )
        return None
    return found


def _given(lock: Lock, project_path: str) -> dict[str, Any]:
    """The fewest variables that resolve to what the lock recorded."""
    blueprint = load_blueprint(lock.blueprint)
    given: dict[str, Any] = {}
    for name in blueprint.manifest.variables:
        if name not in lock.variables:
            continue
        resolved = resolve_variables(blueprint, given, project_path=project_path).values
        if resolved.get(name) != lock.variables[name]:
            given[name] = lock.variables[name]
    return given


def describe_scaffolding(found: Scaffolding | None) -> Description:
    out = Description()
    if found is not None:
        out.entry["blueprint"] = found.blueprint
        if found.variables:
            out.entry["blueprint_vars"] = dict(found.variables)
    return out
