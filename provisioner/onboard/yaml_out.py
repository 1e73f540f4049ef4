"""Write a generated inventory as YAML people read: block style, short lists and small mappings in
flow style, multi-line values as literal blocks, and comments where the user has work to do (masked
and hidden variables) or should know why something was left out. (The importer reads the text back
through the inventory loader and compares it with what it described.)"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from provisioner.onboard.variables_entry import variable_note

FLOW_WIDTH = 72  # a mapping of plain values up to this long is written on one line
VARIABLE_SECTIONS = ("variables", "group_variables")


def render(
    document: Mapping[str, Any],
    *,
    header: Sequence[str] = (),
    notes: Mapping[tuple[str, str], Sequence[str]] | None = None,
    runner_names: Mapping[int, str] | None = None,
) -> str:
    """`notes`: comment lines to put above an entry, by (section, name): ("projects", "a/b")."""
    names = runner_names or {}
    root = _node(document, (), names)
    if header:
        root.yaml_set_start_comment("\n".join(header))
    for (section, name), lines in (notes or {}).items():
        mapping = root.get(section)
        if isinstance(mapping, CommentedMap) and name in mapping and lines:
            mapping.yaml_set_comment_before_after_key(name, before="\n".join(lines), indent=2)
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(type(None), _null)
    out = io.StringIO()
    yaml.dump(root, out)
    return out.getvalue()


def _node(value: Any, path: tuple[str, ...], names: Mapping[int, str]) -> Any:
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _node(item, (*path, str(key)), names)
        if path and path[-1] in VARIABLE_SECTIONS:
            for key, item in value.items():
                entries = item if isinstance(item, list) else [item]
                note = next((n for n in map(variable_note, entries) if n), None)
                if note:
                    mapping.yaml_add_eol_comment(note, key)
        elif value and _short(value) and len(path) > 1:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(_node(item, path, names) for item in value)
        if all(not isinstance(item, Mapping | list) for item in value):
            seq.fa.set_flow_style()
        if path[-2:] == ("runners", "assign"):
            for index, item in enumerate(value):
                name = names.get(int(item.get("id", 0))) if isinstance(item, Mapping) else None
                if name:
                    seq.yaml_add_eol_comment(f"runner {json.dumps(name)}", index)
        return seq
    if isinstance(value, str) and _literal(value):
        return LiteralScalarString(value)
    return value


def _null(representer: Any, value: None) -> Any:
    # an explicit null (ruamel writes nothing): it removes an inherited value, which should show
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _short(mapping: Mapping[str, Any]) -> bool:
    plain = all(
        not isinstance(v, Mapping | list) or (isinstance(v, list) and not v) for v in mapping.values()
    )
    return (
        plain
        and len(json.dumps(mapping)) <= FLOW_WIDTH
        and not any(isinstance(v, str) and "\n" in v for v in mapping.values())
    )


def _literal(text: str) -> bool:
    if "\n" not in text.rstrip("\n") or text.startswith((" ", "\n")):
        return False
    return all(line == line.rstrip() and line.isprintable() for line in text.split("\n"))
