"""A project's blueprint variables: checked against the manifest, completed with defaults and derivations."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from provisioner.blueprint.manifest import Blueprint, did_you_mean
from provisioner.blueprint.manifest_schema import VariableDef


def sort_versions(versions: list[str]) -> list[str]:
    """Numeric order: 3.9 before 3.10."""
    return sorted(versions, key=lambda v: tuple(int(p) if p.isdigit() else 0 for p in v.split(".")))


# Derive, check and environment expressions come from manifests; the sandbox keeps them to plain value
# manipulation.
_EXPRESSIONS = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_EXPRESSIONS.filters["sort_versions"] = sort_versions


@dataclass(frozen=True)
class Resolution:
    values: Mapping[str, Any]  # every variable that could be resolved, in manifest order
    problems: tuple[tuple[str, str], ...]  # (field, message): field is "blueprint_vars.NAME"
    unresolved: tuple[str, ...] = ()  # derived from the project, which was not given


def resolve_variables(
    blueprint: Blueprint,
    given: Mapping[str, Any],
    *,
    project_path: str | None = None,
    inputs: Collection[str] = (),
) -> Resolution:
    """Check `given` against the manifest and fill in defaults and derived values.

    Without `project_path`, a value derived from the project cannot be known: it is reported as unresolved,
    not as a problem (the inventory loader validates before it knows every project). `inputs`: variables
    each project gives later (a component's inputs): unresolved here, so that no check judges them.
    """
    declared = blueprint.manifest.variables
    problems: list[tuple[str, str]] = []
    for name in given:
        if name not in declared:
            hint = did_you_mean(name, list(declared))
            problems.append((_field(name), f"unknown variable for blueprint {blueprint.name}{hint}"))
    context: dict[str, Any] = {}
    if project_path is not None:
        context = {"project_path": project_path, "project_name": project_path.rstrip("/").rsplit("/", 1)[-1]}
    values: dict[str, Any] = {}
    unresolved: list[str] = []
    for name, var in declared.items():
        if name in inputs:
            if name in given:
                problems.append((_field(name), "an input of the component: each project gives it"))
            unresolved.append(name)
        elif name in given:
            message = value_problem(var, given[name])
            if message:
                problems.append((_field(name), message))
            else:
                values[name] = given[name]
        elif var.derive is not None:
            derived = _derive(var.derive, {**context, **values})
            if derived is None:
                # Report only the root cause, not every value derived from it.
                if not _mentions(
                    var.derive, [*unresolved, *(f.removeprefix("blueprint_vars.") for f, _ in problems)]
                ):
                    if project_path is None:
                        unresolved.append(name)
                    else:
                        problems.append((_field(name), f"required: cannot derive it ({var.derive})"))
                continue
            message = value_problem(var, derived)
            if message:
                problems.append(
                    (_field(name), f"derived value {derived!r} is not usable ({message}); set it")
                )
            else:
                values[name] = derived
        elif var.required:
            problems.append((_field(name), f"required by blueprint {blueprint.name}: {var.description}"))
        else:
            values[name] = var.default
    if not problems:
        problems += [
            ("blueprint_vars", c.message) for c in blueprint.manifest.variable_checks if holds(c.when, values)
        ]
    return Resolution(values, tuple(problems), tuple(unresolved))


def holds(expression: str, values: Mapping[str, Any]) -> bool:
    """Whether a manifest expression is true for these variables; False while one it needs is unknown
    (derived from a project not given yet): the check runs again when the project is rendered."""
    try:
        return bool(_compiled_expression(expression)(**values))
    except UndefinedError:
        return False


@functools.lru_cache(maxsize=256)
def _compiled_expression(expression: str) -> Any:
    return _EXPRESSIONS.compile_expression(expression, undefined_to_none=False)


def value_problem(var: VariableDef, value: Any) -> str | None:
    """Why `value` does not fit `var`, or None when it does."""
    if var.type == "list[str]":
        if not isinstance(value, list):
            return f"expected a list of text, got {_describe(value)}"
        if var.min_items is not None and len(value) < var.min_items:
            return f"expected at least {var.min_items} item(s)"
        for index, item in enumerate(value):
            message = _text_problem(var, item)
            if message:
                return f"item {index}: {message}"
            if item in value[:index]:
                return f"item {index}: {item!r} is listed twice"
        return None
    if var.type == "str":
        return _text_problem(var, value)
    if var.type == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {_describe(value)}"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected a whole number, got {_describe(value)}"
    return None


def _text_problem(var: VariableDef, value: Any) -> str | None:
    if not isinstance(value, str):
        if var.choices is not None:  # `signing: off` is text in YAML 1.2, false in 1.1: say what is meant
            return f"expected one of {', '.join(var.choices)}, got {_describe(value)}"
        message = f"expected text, got {_describe(value)}"
        if isinstance(value, float | int) and not isinstance(value, bool):
            message += " (quote it in YAML: 3.10 unquoted is the number 3.1)"
        return message
    if var.choices is not None and value not in var.choices:
        return f"{value!r} is not one of {', '.join(var.choices)}{did_you_mean(value, var.choices)}"
    if var.pattern is not None and not re.search(var.pattern, value):
        return f"{value!r} does not match {var.pattern}"
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _derive(expression: str, values: Mapping[str, Any]) -> str | None:
    try:
        return _compiled(expression).render(values)
    except UndefinedError:
        return None


@functools.lru_cache(maxsize=256)
def _compiled(expression: str) -> Template:
    return _EXPRESSIONS.from_string(expression)


def _mentions(expression: str, names: list[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", expression) for name in names)


def _field(name: str) -> str:
    return f"blueprint_vars.{name}"
