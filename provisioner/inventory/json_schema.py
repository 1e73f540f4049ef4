"""The JSON Schema of an inventory file, for editors (`provisioner schema`).

pydantic writes the schema of the models; two things the loader accepts are added: `null` for any
key of a mapping that layers merge (it removes what an earlier layer set), and an empty entry under
`projects` or `groups` (a project that takes everything from `defaults` and its groups).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from provisioner.inventory.schema import NO_SECTIONS, Sections, Variables, inventory_model, project_model

_NULL = {"type": "null"}


def inventory_json_schema(sections: Sections | None = None) -> dict[str, Any]:
    """`sections`: those the facets read beyond what the schema spells out (see `Facet.section`)."""
    schema = inventory_model(sections or NO_SECTIONS).model_json_schema()
    definitions = schema["$defs"]
    project = project_model(sections or NO_SECTIONS)
    merged: set[type[BaseModel]] = {project, *_merged_models(project)}
    for model in merged:
        for name, prop in definitions[model.__name__]["properties"].items():
            definitions[model.__name__]["properties"][name] = _nullable(prop)
    entries = definitions[Variables.__name__]["additionalProperties"]
    entries["anyOf"].append(_NULL)
    for section in ("projects", "groups"):
        schema["properties"][section]["additionalProperties"] = _nullable(
            schema["properties"][section]["additionalProperties"]
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "provisioner inventory",
        **schema,
    }


def _merged_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """Models reached from `model` through mappings (lists are replaced whole, so not merged)."""
    for field in model.model_fields.values():
        kind = _model_in(field.annotation)
        if kind is not None and kind is not Variables:
            yield kind
            yield from _merged_models(kind)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        if typing.get_origin(candidate) is dict:
            return _model_in(typing.get_args(candidate)[1])
    return None


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    if _NULL in prop.get("anyOf", []) or prop.get("type") == "null":
        return prop
    meta: dict[str, Any] = {key: prop[key] for key in ("title", "description", "default") if key in prop}
    kind = {key: value for key, value in prop.items() if key not in meta}
    return {"anyOf": [kind, _NULL], **meta}
