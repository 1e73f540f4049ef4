"""CI/CD variables: by key, one entry per environment scope, checked offline against GitLab's rules."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from provisioner.inventory.schema.base import _Model

VARIABLE_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")  # for the JSON Schema; always used with fullmatch
r"""Ci::HasVariable: `length: { maximum: 255 }, format: /\A[a-zA-Z0-9_]+\z/` [G:app/models/concerns/ci/has_variable.rb]"""
# GitLab's classic masking rule (REFERENCE 2.3): one line, 8+ characters, Base64 alphabet plus @ : . ~
MASKABLE_VALUE = re.compile(r"\A[a-zA-Z0-9_+=/@:.~-]{8,}\Z")
MASKING_RULE = "it needs 8 or more characters from A-Z a-z 0-9 _ + = / @ : . ~ -"

# Ci::HasEnvironmentScope: `format: { with: Gitlab::Regex.environment_scope_regex }`, which is
# /\A[a-zA-Z0-9_\/\$\{\}\. \-\*]+\z/ (so no newline), and the setter strips surrounding spaces
# [G:lib/gitlab/regex.rb] [G:app/models/concerns/ci/has_environment_scope.rb]. GitLab sets no
# length (the column is `character varying`, as far as we could see): 255, the bound of a variable's
# key and description, is ours, not verified as GitLab's.
_ENVIRONMENT_SCOPE = re.compile(r"[a-zA-Z0-9_/${}. *-]+")
ENVIRONMENT_SCOPE_RULE = "letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces"


def _environment_scope(scope: str) -> str:
    if not _ENVIRONMENT_SCOPE.fullmatch(scope):
        raise ValueError(f"an environment_scope can hold only {ENVIRONMENT_SCOPE_RULE}")
    if scope != scope.strip():
        raise ValueError("GitLab strips the spaces around an environment_scope: remove them")
    return scope


class Variable(_Model):
    """A CI/CD variable. Its identity is its key plus its environment scope."""

    value: str | None = None
    """A literal value. Use `secret` for anything sensitive."""
    secret: str | None = None
    """Where the value comes from: env:NAME, keyring:SERVICE/NAME or file:PATH (relative to this file)."""
    value_unmanaged: bool = False
    """Manage the metadata only and leave the value as it is on the server (set by `import`)."""
    masked: bool = False
    hidden: bool = False
    """Masked and never readable again, not even by the tool; the value changes only with --rotate."""
    protected: bool = False
    raw: bool = False
    """Do not expand $VARIABLES inside the value."""
    variable_type: Literal["env_var", "file"] = "env_var"
    environment_scope: Annotated[
        str, Field(min_length=1, max_length=255), AfterValidator(_environment_scope)
    ] = "*"
    description: Annotated[str, Field(max_length=255)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Variable:
        sources = [self.value is not None, self.secret is not None, self.value_unmanaged]
        if sum(sources) != 1:
            raise ValueError("give exactly one of value, secret or value_unmanaged: true")
        if self.hidden and not self.masked:
            raise ValueError("hidden variables must also be masked (masked: true)")
        if self.masked and self.value is not None and not MASKABLE_VALUE.match(self.value):
            raise ValueError(f"GitLab cannot mask this value: {MASKING_RULE}")
        return self


def _variable_key(key: str) -> str:
    if not VARIABLE_KEY.fullmatch(key):
        raise ValueError("a variable key is 1 to 255 characters from A-Z a-z 0-9 _")
    return key


def _one_per_scope(entries: list[Variable]) -> list[Variable]:
    scopes = [entry.environment_scope for entry in entries]
    if len(scopes) != len(set(scopes)):
        raise ValueError("the same environment_scope is given twice")
    return entries


VariableKey = Annotated[str, AfterValidator(_variable_key)]
ScopedVariables = Annotated[list[Variable], AfterValidator(_one_per_scope)]


class Variables(_Model):
    """Variables by key. A plain string is a literal value; a list gives one entry per environment scope.

    The key `prune` is the flag below, never a variable.
    """

    items: dict[VariableKey, ScopedVariables] = {}
    prune: bool = False
    """Delete variables the inventory does not name (otherwise they are only reported as unmanaged)."""

    @model_validator(mode="before")
    @classmethod
    def _from_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict) or _is_internal_form(data):
            return data
        items: dict[str, Any] = {}
        for key, entry in data.items():
            if key == "prune":
                continue
            # a scalar is a literal value; a wrong type is then reported as the value's
            items[key] = (
                entry if isinstance(entry, list) else [entry if isinstance(entry, dict) else {"value": entry}]
            )
        return {"items": items, "prune": data.get("prune", False)}

    @model_serializer(mode="wrap")
    def _to_mapping(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Dump what a user writes (a mapping by key), so that a dump reads back as the same model.
        plain: dict[str, Any] = handler(self)
        mapping = dict(plain.get("items", {}))
        if self.prune:
            mapping["prune"] = True
        return mapping

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        variable = schema["properties"]["items"]["additionalProperties"]["items"]
        prune = schema["properties"]["prune"]
        schema.pop("required", None)
        schema["properties"] = {"prune": prune}
        schema["propertyNames"] = {"pattern": VARIABLE_KEY.pattern}
        schema["additionalProperties"] = {
            "anyOf": [{"type": "string"}, variable, {"type": "array", "items": variable}]
        }
        return reference


def _is_internal_form(data: dict[Any, Any]) -> bool:
    """`{"items": {KEY: [...]}, ...}`, as `Variables(items=...)` passes it (a variable named items is not)."""
    items = data.get("items")
    return (
        set(data) <= {"items", "prune"}
        and isinstance(items, dict)
        and all(isinstance(entries, list) for entries in items.values())
    )
