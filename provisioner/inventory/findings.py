"""Turn pydantic's validation errors into findings in the user's words.

pydantic locates an error in its own terms (`variables.items.PYPI_TOKEN.0.masked`, where `items` and
`0` come from the reshaping done by `schema.Variables`). Here each location is walked along the
user's data and the schema's types together, to find the path the user wrote, whether the error is
about a key or a value, and which keys were allowed (for "did you mean"). Messages are short and
never quote an input value: it could be a secret.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from provisioner.inventory.document import Path
from provisioner.inventory.schema import Group, Project, Variables


@dataclass(frozen=True)
class Finding:
    """A problem at `path` (which exists in the data) or at `path + missing` (which does not)."""

    path: Path
    message: str
    missing: Path = ()
    at_key: bool = False  # point at the key that names the node, not at its value
    kind: str = ""  # pydantic's error type, when it comes from pydantic


def findings(exc: ValidationError, model: type[BaseModel], data: Any) -> list[Finding]:
    return [_finding(error, model, data) for error in exc.errors(include_url=False)]


def _finding(error: ErrorDetails, model: type[BaseModel], data: Any) -> Finding:
    node: Any = data
    path: Path = ()
    kind: Any = model
    parent_kind: Any = None
    loc = list(error["loc"])
    for index, part in enumerate(loc):
        if part == "[key]":
            return Finding(path, _message(error, parent_kind), at_key=True, kind=error["type"])
        if _unwrap(kind) is Variables and part == "items":  # Variables' internal form: not in the user's data
            kind = _child_type(kind, part)
            continue
        parent_kind, kind = kind, _child_type(kind, part)
        if _has(node, part):
            node, path = node[part], (*path, part)
        elif isinstance(part, int):
            continue  # a single entry wrapped into a list of one: the entry itself is meant
        elif isinstance(node, dict):
            missing = tuple(loc[index:])
            return Finding(path, _message(error, parent_kind), missing, at_key=True, kind=error["type"])
        else:
            break  # a scalar wrapped into a mapping (`KEY: text` is `{value: text}`): the scalar is meant
    at_key = error["type"] == "extra_forbidden" or isinstance(node, dict | list)
    return Finding(path, _message(error, parent_kind), at_key=at_key, kind=error["type"])


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return isinstance(node, dict) and part in node


def _child_type(kind: Any, part: str | int) -> Any:
    kind = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        field = kind.model_fields.get(str(part))
        return field.annotation if field is not None else None
    args = typing.get_args(kind)
    origin = typing.get_origin(kind)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and args:
        return args[0]
    return None


def _unwrap(kind: Any) -> Any:
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
            if len(options) != 1:
                return kind
            kind = options[0]
        else:
            return kind


def _message(error: ErrorDetails, parent_kind: Any) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    value = error["input"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        parent = _unwrap(parent_kind)
        home = _SECTION_OF.get(key)
        if home is not None and _SECTIONS[home] is not parent and _is_section_parent(parent):
            return f"unknown key '{key}'; it belongs under {home}"
        allowed = (
            list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        )
        return f"unknown key '{key}'{_did_you_mean(key, allowed)}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        allowed = [option.strip("'") for option in expected.replace(" or ", ", ").split(", ")]
        if len(allowed) == 1:
            return f"must be {expected}"
        hint = _did_you_mean(value, allowed) if isinstance(value, str) else ""
        return f"must be one of {expected.replace(' or ', ', ')}{hint}"
    if kind == "string_type" and isinstance(value, bool | int | float):
        return "expected a string; put quotes around it"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind.startswith("date"):
        return "expected a date (YYYY-MM-DD)"
    bound = _BOUNDS.get(kind)
    if bound is not None:
        return _bound_message(kind, bound, ctx)
    return _SIMPLE.get(kind, error["msg"])


# For "it belongs under registry": the project's sections and the one each key of theirs lives in.
_SECTIONS: dict[str, Any] = {
    name: _unwrap(field.annotation)
    for name, field in Project.model_fields.items()
    if isinstance(_unwrap(field.annotation), type) and issubclass(_unwrap(field.annotation), BaseModel)
}
_SECTION_PARENTS = {*_SECTIONS.values(), Project, Group}


def _is_section_parent(model: Any) -> bool:
    """A project-shaped model (with the sections facets bring, see `schema.project_model`) or a section."""
    return model in _SECTION_PARENTS or (isinstance(model, type) and issubclass(model, Project))


_SECTION_OF = {
    key: section
    for section, model in _SECTIONS.items()
    for key in model.model_fields
    if sum(key in other.model_fields for other in _SECTIONS.values()) == 1
}

_SIMPLE = {
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected a string",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
}

_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "greater_than": ("gt", "must be greater than {}"),
    "less_than": ("lt", "must be less than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "string_too_short": ("min_length", "must be at least {} characters long"),
    "string_too_long": ("max_length", "must be at most {} characters long"),
    "too_short": ("min_length", "must have at least {} items"),
    "too_long": ("max_length", "must have at most {} items"),
}


def _bound_message(kind: str, bound: tuple[str, str], ctx: dict[str, Any]) -> str:
    name, template = bound
    limit = ctx.get(name)
    if kind in ("string_too_short", "too_short") and limit == 1:
        return "must not be empty"
    return template.format(limit)


def _did_you_mean(word: str, choices: list[str]) -> str:
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean '{by_lower[close[0]]}'?" if close else ""
