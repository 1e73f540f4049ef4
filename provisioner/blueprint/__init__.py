"""Blueprints: manifests, rendering, file policies and three-way updates. Pure: no API calls here.

The files facet uses `render`, then `paths_to_observe` / `contents_needed` / `plan_files` (see `update`),
`unified_diff` for plans, `commit_message` for the one commit and `proposal` for a merge request. The
inventory loader uses `check_vars` and `check_enforce`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.blueprint.checks import PIPELINE, conflict_marker_line, problem_in
from provisioner.blueprint.diffs import unified_diff
from provisioner.blueprint.lock import LOCK_PATH, Lock, LockedFile, LockError, parse_lock
from provisioner.blueprint.manifest import (
    BLUEPRINTS_DIR,
    Blueprint,
    UnknownBlueprint,
    list_blueprints,
    load_blueprint,
)
from provisioner.blueprint.manifest_schema import WHOLE_FILE, FileRule, Manifest, VariableDef
from provisioner.blueprint.merge import MergeResult, merge_three_way
from provisioner.blueprint.policies import Enforce, enforce_problems, recorded_policy
from provisioner.blueprint.render import RenderedFile, Rendering, render, sha256_text
from provisioner.blueprint.tomlkeys import UnreadableFile, apply_owned_keys
from provisioner.blueprint.update import (
    TRAILER,
    ContentMissing,
    FileAction,
    FileDecision,
    FilesPlan,
    Hashes,
    commit_message,
    contents_needed,
    paths_to_observe,
    plan_files,
    read_lock,
)
from provisioner.blueprint.variables import resolve_variables
from provisioner.errors import InputError

__all__ = [
    "BLUEPRINTS_DIR",
    "LOCK_PATH",
    "PIPELINE",
    "TRAILER",
    "WHOLE_FILE",
    "Blueprint",
    "ContentMissing",
    "Enforce",
    "FileAction",
    "FileDecision",
    "FileRule",
    "FilesPlan",
    "Hashes",
    "Lock",
    "LockError",
    "LockedFile",
    "Manifest",
    "MergeResult",
    "RenderedFile",
    "Rendering",
    "UnknownBlueprint",
    "UnreadableFile",
    "VariableDef",
    "apply_owned_keys",
    "check_component_mode",
    "check_enforce",
    "check_vars",
    "commit_message",
    "conflict_marker_line",
    "contents_needed",
    "list_blueprints",
    "load_blueprint",
    "merge_three_way",
    "parse_lock",
    "paths_to_observe",
    "plan_files",
    "problem_in",
    "read_lock",
    "recorded_policy",
    "render",
    "resolve_variables",
    "sha256_text",
    "unified_diff",
]


def check_vars(
    name: str, variables: Mapping[str, Any], *, project_path: str | None = None
) -> list[tuple[str, str]]:
    """Problems with a project's blueprint choice, as (field suffix, message); empty when fine.

    The inventory loader calls this during validation, so that an unknown blueprint or a missing or
    mistyped blueprint variable is an input error before the first API call. Field suffixes are
    "blueprint" or "blueprint_vars.NAME". With `project_path`, values derived from the project (the
    distribution name) are checked too; without it they are checked when the project is rendered.
    """
    try:
        blueprint = load_blueprint(name)
    except UnknownBlueprint as exc:
        return [("blueprint", exc.problems[0].message)]
    except InputError as exc:
        return [("blueprint", f"blueprint {name} is broken: {exc.problems[0]}")]
    return list(resolve_variables(blueprint, variables, project_path=project_path).problems)


def check_component_mode(entry: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Problems with a project's (merged) entry in component mode, as (path in the entry, message): a
    `blueprint_component` needs a blueprint that has a component, and a component project (one with a
    `component` section) is not scaffolded with a blueprint itself."""
    name, component = entry.get("blueprint"), entry.get("blueprint_component")
    own = entry.get("component")
    if isinstance(own, Mapping):
        if name is not None:
            message = (
                f"a component project holds blueprint {name}'s component, it is not scaffolded with it: "
                "set blueprint: null in this project (where the defaults or a group give it one)"
            )
            return [(("component",), message)]
        return _component_problems(own)  # an inherited blueprint_component means nothing here
    if component is None:
        return []
    if not isinstance(name, str):
        return [(("blueprint_component",), "blueprint_component without a blueprint: name the blueprint")]
    try:
        blueprint = load_blueprint(name)
    except InputError:
        return []  # check_vars says what is wrong with the blueprint itself
    if blueprint.manifest.component is None:
        return [
            (("blueprint_component",), f"blueprint {name} has no component: it can only be rendered inline")
        ]
    return []


def _component_problems(own: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """A component project's blueprint and variables (its inputs are each project's)."""
    name, variables = own.get("blueprint"), own.get("blueprint_vars") or {}
    if not isinstance(name, str) or not isinstance(variables, Mapping):
        return []  # the schema says what is wrong
    try:
        blueprint = load_blueprint(name)
    except UnknownBlueprint as exc:
        return [(("component", "blueprint"), exc.problems[0].message)]
    except InputError as exc:
        return [(("component", "blueprint"), f"blueprint {name} is broken: {exc.problems[0]}")]
    if blueprint.manifest.component is None:
        return [(("component", "blueprint"), f"blueprint {name} has no component section")]
    resolution = resolve_variables(blueprint, variables, inputs=blueprint.manifest.component.inputs)
    return [(("component", *field.split(".")), message) for field, message in resolution.problems]


def check_enforce(name: str, enforce: object) -> list[tuple[str, str]]:
    """Problems with a project's `blueprint_enforce` for blueprint `name`, as (field suffix, message)."""
    if not isinstance(enforce, list):
        return []
    try:
        blueprint = load_blueprint(name)
    except InputError:
        return []  # check_vars says what is wrong with the blueprint itself
    return [("blueprint_enforce", message) for message in enforce_problems(blueprint, enforce)]
