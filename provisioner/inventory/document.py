"""Read one YAML file into plain data plus the position of every key and value.

The file is composed into ruamel.yaml's node tree and built into dicts and lists here, rather than
by ruamel's constructor, so that every duplicate key in every mapping is reported (with both
places) instead of the first one aborting the read, and so that positions are kept for list items
and scalars alike. Scalars are still typed by YAML's core schema (ints, bools, null, dates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path as FilePath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provisioner.errors import InputProblem
from provisioner.inventory import text_guard
from provisioner.inventory.spec import Location

Path = tuple[str | int, ...]
"""Where a value sits in a document: mapping keys and list indices, from the root."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS: dict[type[Node], str] = {
    MappingNode: "tag:yaml.org,2002:map",
    SequenceNode: "tag:yaml.org,2002:seq",
}
_PLAIN_SCALARS = (str, int, float, bool, type(None), date)  # what YAML's core schema builds (datetime too)


@dataclass
class Document:
    """One YAML file as plain data. `keys` has the position of each mapping key, `values` of each value."""

    file: str  # as shown to the user
    data: Any
    readable: bool = True  # False after a read or syntax error (then `data` is None)
    keys: dict[Path, Location] = field(default_factory=dict)
    values: dict[Path, Location] = field(default_factory=dict)
    located: bool = True  # False: read without positions (`read_document_quickly`)

    def location(self, path: Path, *, at_key: bool = False) -> Location:
        """Where `path` is written; the nearest enclosing node that exists when it does not."""
        while path:
            spot = (self.keys.get(path) if at_key else None) or self.values.get(path)
            if spot is not None:
                return spot
            path, at_key = path[:-1], True
        return self.values.get((), Location(self.file, 1, 1) if self.located else Location(self.file))


def format_path(path: Path) -> str:
    """`("projects", "a/b", "runners", "create", 0, "tags")` -> `projects.a/b.runners.create[0].tags`."""
    text = ""
    for part in path:
        name = str(part) if part != "" else '""'
        text += f"[{part}]" if isinstance(part, int) else (f".{name}" if text else name)
    return text


def _read_text(file: FilePath, shown_as: str) -> str | InputProblem:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return InputProblem(shown_as, 0, 0, "", f"cannot read the file: {exc.strerror}")
    return text_guard.decode(raw, shown_as)


def _yaml_text(file: FilePath, shown_as: str) -> str | InputProblem:
    """The file's text, once it is known to be safe to give to a YAML reader (see `text_guard`)."""
    text = _read_text(file, shown_as)
    return text if isinstance(text, InputProblem) else text_guard.check_structure(text, shown_as) or text


def read_document(file: FilePath, shown_as: str) -> tuple[Document, list[InputProblem]]:
    """Read and build `file`. A syntax error gives one problem and a document holding no data."""
    document = Document(shown_as, None, readable=False)
    text = _yaml_text(file, shown_as)
    if isinstance(text, InputProblem):
        return document, [text]
    # libyaml (ruamel.yaml.clib) composes ten times faster than ruamel's Python parser, which was a
    # tenth of a no-op run over a large inventory; a file it refuses is read again by the Python
    # parser, whose messages (and positions) are the ones the user sees.
    yaml = YAML(typ="safe")
    try:
        root = yaml.compose(text)
    except YAMLError:
        yaml = YAML(typ="safe", pure=True)
        try:
            root = yaml.compose(text)
        except MarkedYAMLError as exc:
            return document, [_syntax_problem(shown_as, exc)]
        except YAMLError as exc:
            return document, [InputProblem(shown_as, 0, 0, "", f"YAML syntax error: {exc}")]
    document.readable = True
    builder = _Builder(document, yaml)
    if root is not None:
        document.data = builder.build(root, (), ())
    if builder.unusable:  # what was built would only cause more, misleading problems
        document.data, document.readable = None, False
    return document, builder.problems


def read_document_quickly(file: FilePath, shown_as: str) -> Document | None:
    """The file's data without positions, built by libyaml; None when only `read_document` can tell
    (a read or syntax error, a duplicate key, a key that is not a string, an alias: each is read by
    the full reader, which builds them differently or reports them where they are). A large
    inventory's positions were most of a run's memory; they are needed only to say where a problem is.
    """
    text = _read_text(file, shown_as)
    if isinstance(text, InputProblem):
        return None
    data = _json(text)
    if data is not _NOT_JSON:
        return Document(shown_as, data, located=False)
    if text_guard.check_structure(text, shown_as) is not None:
        return None
    try:
        data = YAML(typ="safe").load(text)
    except YAMLError:
        return None
    return Document(shown_as, data, located=False) if _plain_tree(data, set()) else None


_NOT_JSON: Any = object()


def _json(text: str) -> Any:
    """A JSON text (JSON is YAML: what generated inventories are written in) read by `json`: the YAML
    composer builds a node tree of the whole file first, about 40 bytes of memory for each byte of
    a large inventory. _NOT_JSON where YAML could read it differently: a duplicate key (the full
    reader reports it), a number with an exponent, NaN or Infinity."""
    if not text.lstrip().startswith(("{", "[")) or not text_guard.json_within_depth(text):
        return _NOT_JSON

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            raise ValueError("duplicate key")
        return built

    def number(literal: str) -> float:
        if "e" in literal.lower():
            raise ValueError("exponent")
        return float(literal)

    def constant(literal: str) -> Any:
        raise ValueError(literal)

    try:
        return json.loads(text, object_pairs_hook=mapping, parse_float=number, parse_constant=constant)
    except (ValueError, RecursionError):  # json.JSONDecodeError included
        return _NOT_JSON


def _plain_tree(value: Any, seen: set[int]) -> bool:
    """Mappings with string keys, lists and plain scalars, each object met once (the full reader copies
    an alias, and reports a tag such as !!set or !!binary where it is written)."""
    if not isinstance(value, (dict, list, *_PLAIN_SCALARS)):
        return False
    if isinstance(value, dict | list):
        if id(value) in seen:
            return False
        seen.add(id(value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_tree(v, seen) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_tree(item, seen) for item in value)
    return True


def _syntax_problem(file: str, exc: MarkedYAMLError) -> InputProblem:
    mark = exc.problem_mark or exc.context_mark
    message = f"YAML syntax error: {exc.problem or exc.context}"
    if exc.problem and exc.context and exc.context_mark is not None:
        context_at = f"{exc.context_mark.line + 1}:{exc.context_mark.column + 1}"
        message += f" ({exc.context} started at {context_at})"
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return InputProblem(file, line, column, "", message)


def _shown_tag(tag: str | None) -> str:
    tag = tag or ""
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


class _Builder:
    def __init__(self, document: Document, yaml: YAML) -> None:
        self.document = document
        self.yaml = yaml
        self.problems: list[InputProblem] = []
        self.unusable = False  # a node could not be built at all (duplicate keys can: the first wins)

    def at(self, node: Node) -> Location:
        return Location(self.document.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: Node, path: Path, message: str, *, unusable: bool = True) -> None:
        self.unusable |= unusable
        spot = self.at(node)
        self.problems.append(InputProblem(spot.file, spot.line, spot.column, format_path(path), message))

    def build(self, node: Node, path: Path, ancestors: tuple[int, ...]) -> Any:
        self.document.values[path] = self.at(node)
        if id(node) in ancestors:
            self.problem(node, path, "an alias cannot refer to a node that contains it")
            return None
        ancestors += (id(node),)
        if _COLLECTION_TAGS.get(type(node), node.tag or "") != (node.tag or ""):
            # `!!set {a, b}`, `!!omap [...]`, `!custom {...}`: built as a plain mapping or list, the
            # tag would be dropped without a word; nothing in an inventory needs one
            self.problem(node, path, f"unsupported YAML tag {_shown_tag(node.tag)}")
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, path, ancestors)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, index), ancestors) for index, item in enumerate(node.value)]
        try:
            return self.yaml.constructor.construct_object(node, deep=True)
        except YAMLError:
            self.problem(node, path, f"unsupported YAML tag {_shown_tag(node.tag)}")
            return None

    def mapping(self, node: MappingNode, path: Path, ancestors: tuple[int, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Location] = {}
        for key_node, value_node in self.entries(node, path):
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be a plain string")
                continue
            key = str(key_node.value)  # keys are names (fields, paths, variables): keep their text
            key_path = (*path, key)
            if key in first_seen:
                message = f"duplicate key; first defined at {first_seen[key]}"
                self.problem(key_node, key_path, message, unusable=False)
                continue
            first_seen[key] = self.document.keys[key_path] = self.at(key_node)
            result[key] = self.build(value_node, key_path, ancestors)
        return result

    def entries(self, node: MappingNode, path: Path) -> list[tuple[Node, Node]]:
        """The mapping's own entries, then those brought in by `<<` merge keys (own keys win)."""
        own: list[tuple[Node, Node]] = []
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, MappingNode):
                    merged.extend(self.entries(source, path))
                else:
                    self.problem(source, path, "a << merge key needs a mapping or a list of mappings")
        names = {k.value for k, _ in own if isinstance(k, ScalarNode)}
        unique_merged: list[tuple[Node, Node]] = []
        for key_node, value_node in merged:
            if isinstance(key_node, ScalarNode) and key_node.value not in names:
                names.add(key_node.value)
                unique_merged.append((key_node, value_node))
        return own + unique_merged
