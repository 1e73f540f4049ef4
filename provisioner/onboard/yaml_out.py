"""Write a generated inventory as YAML people read: block style, short lists and small mappings in
flow style, multi-line values as literal blocks, and comments where the user has work to do (the facets
say where: a masked variable to point at a secret) or should know why something was left out. (The
importer reads the text back through the inventory loader and compares it with what it described.)"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

FLOW_WIDTH = 72  # a mapping of plain values up to this long is written on one line
Comment = Callable[[tuple[str, ...], Any], str | None]
"""comment(path, value): the end-of-line comment for the value at that path (list items by index)."""


def render(
    document: Mapping[str, Any],
    *,
    header: Sequence[str] = (),
    notes: Mapping[tuple[str, str], Sequence[str]] | None = None,
    comment: Comment = lambda path, value: None,
) -> str:
    """`notes`: comment lines to put above an entry, by (section, name): ("projects", "a/b")."""
    root = _node(document, (), comment)
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


def _node(value: Any, path: tuple[str, ...], comment: Comment) -> Any:
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        commented = False
        for key, item in value.items():
            mapping[key] = _node(item, (*path, str(key)), comment)
            text = comment((*path, str(key)), item)
            if text:
                mapping.yaml_add_eol_comment(text, key)
                commented = True
        if value and not commented and _short(value) and len(path) > 1:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(_node(item, (*path, str(i)), comment) for i, item in enumerate(value))
        if all(not isinstance(item, Mapping | list) for item in value):
            seq.fa.set_flow_style()
        for index, item in enumerate(value):
            text = comment((*path, str(index)), item)
            if text:
                seq.yaml_add_eol_comment(text, index)
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
    # A plain scalar with ':' (a URL) is valid in a YAML 1.2 flow mapping, not in YAML 1.1's
    # (libyaml, PyYAML): such a mapping stays in block style, which every reader takes.
    return (
        plain
        and len(json.dumps(mapping)) <= FLOW_WIDTH
        and not any(isinstance(v, str) and ("\n" in v or ":" in v) for v in mapping.values())
    )


def _literal(text: str) -> bool:
    if "\n" not in text.rstrip("\n") or text.startswith((" ", "\n")):
        return False
    return all(line == line.rstrip() and line.isprintable() for line in text.split("\n"))
