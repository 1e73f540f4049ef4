"""Add one project to an inventory file, leaving every other byte of it as it was.

A YAML round trip (load, change, dump) would re-indent and re-quote the whole file. Instead the file
is composed (ruamel.yaml keeps the position of every node) only to find where the new entry goes;
the entry is then rendered on its own and spliced in as lines:
- into a block `projects:` mapping: in alphabetical place when the existing paths are sorted
  (above the comment lines that introduce the next entry), else after the last entry;
- under an empty `projects:` (or `projects: {}`), or at the end of a file that has none.
Only a non-empty flow-style `projects: {...}` is rewritten by a round trip (its comments are kept).
The result is read back and compared with the intended data before it is returned.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

DEFAULT_INDENT = 2


class EditError(ValueError):
    """The file cannot take the entry (it is not a mapping, or already names the project)."""


def add_project(text: str, path: str, entry: Mapping[str, Any]) -> str:
    """`text` with `projects.<path>: <entry>` added."""
    newline = "\r\n" if "\r\n" in text else "\n"
    root = YAML(typ="safe", pure=True).compose(text) if text.strip() else None
    if not isinstance(root, MappingNode):
        raise EditError("the inventory is not a mapping")
    lines = text.splitlines(keepends=True)
    found = _entry(root, "projects")
    if found is None:
        step = _indent_step(root)
        block = ["projects:", *_render(path, entry, step, step)]
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        edited = "".join(lines) + newline.join(block) + newline
    else:
        key, value = found
        edited = _into(text, lines, key, value, path, entry, newline, _indent_step(root))
    _check(text, edited, path, entry)
    return edited


def _into(
    text: str,
    lines: list[str],
    key: ScalarNode,
    value: Node,
    path: str,
    entry: Mapping[str, Any],
    newline: str,
    step: int,
) -> str:
    if isinstance(value, MappingNode) and value.flow_style and value.value:
        return _round_trip(text, path, entry)
    if isinstance(value, MappingNode) and value.value:
        keys = [k for k, _ in value.value if isinstance(k, ScalarNode)]
        indent = keys[0].start_mark.column
        names = [str(k.value).lower() for k in keys]
        later = [k for k in keys if str(k.value).lower() > path.lower()]
        if names == sorted(names) and later:
            at = _above_comments(lines, later[0].start_mark.line, indent)
        else:
            at = _last_line(value.value[-1]) + 1
        block = _render(path, entry, indent, step)
        return "".join(lines[:at]) + "".join(line + newline for line in block) + "".join(lines[at:])
    if not _is_empty(value):
        raise EditError("projects is not a mapping")
    # `projects:`, `projects: null` or `projects: {}`: the entries go on the lines below the key
    row = key.start_mark.line
    head = str(lines[row])
    if not (isinstance(value, ScalarNode) and value.value == "" and value.style is None):
        if value.start_mark.line != row or value.end_mark.line != row:
            return _round_trip(text, path, entry)
        head = head[: value.start_mark.column].rstrip() + head[value.end_mark.column :]
    block = _render(path, entry, key.start_mark.column + step, step)
    head = head if head.endswith(("\n", "\r")) else head + newline
    return "".join(lines[:row]) + head + "".join(line + newline for line in block) + "".join(lines[row + 1 :])


def _entry(mapping: MappingNode, name: str) -> tuple[ScalarNode, Node] | None:
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return key, value
    return None


def _indent_step(root: MappingNode) -> int:
    """The file's indentation step: the column of the first key nested in a block mapping."""
    for _, value in root.value:
        if isinstance(value, MappingNode) and not value.flow_style and value.value:
            column = int(value.value[0][0].start_mark.column)
            return column or DEFAULT_INDENT
    return DEFAULT_INDENT


def _is_empty(value: Node) -> bool:
    if isinstance(value, ScalarNode):
        return str(value.tag).endswith(":null")
    return isinstance(value, MappingNode) and not value.value


def _above_comments(lines: list[str], row: int, indent: int) -> int:
    """The first of the comment lines directly above `row` at `indent` (they introduce that entry)."""
    while row > 0:
        above = lines[row - 1]
        stripped = above.lstrip(" ")
        if not stripped.startswith("#") or len(above) - len(stripped) != indent:
            break
        row -= 1
    return row


def _last_line(item: tuple[Node, Node]) -> int:
    """The last line (0-based) holding text of a mapping entry."""
    key, value = item
    return max(int(key.end_mark.line), _content_end(value, int(key.end_mark.line)))


def _content_end(node: Node, floor: int) -> int:
    if isinstance(node, ScalarNode):
        if node.value == "" and node.style is None:
            return floor  # an empty plain scalar is positioned at the next token
        end = node.end_mark
        return int(end.line) if end.column > 0 else int(end.line) - 1
    if (isinstance(node, MappingNode | SequenceNode)) and node.flow_style:
        return int(node.end_mark.line)
    children: list[Node] = []
    if isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    ends = [floor]
    for child in children:
        ends.append(_content_end(child, int(child.start_mark.line)))
    return max(ends)


def _render(path: str, entry: Mapping[str, Any], indent: int, step: int) -> list[str]:
    """`path: entry` as lines indented by `indent`; collections of plain values in flow style."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = None
    yaml.width = 4096
    yaml.indent(mapping=step, sequence=step + 2, offset=step)
    out = io.StringIO()
    yaml.dump({path: _plain(entry)}, out)
    return [" " * indent + line for line in out.getvalue().splitlines()]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _round_trip(text: str, path: str, entry: Mapping[str, Any]) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    data = yaml.load(text)
    data["projects"][path] = _plain(entry)
    out = io.StringIO()
    yaml.dump(data, out)
    return str(out.getvalue())


def _check(before: str, after: str, path: str, entry: Mapping[str, Any]) -> None:
    reader = YAML(typ="safe", pure=True)
    old = reader.load(before) if before.strip() else {}
    new = reader.load(after)
    projects = dict(old.get("projects") or {})
    projects[path] = _plain(entry)
    expected = {**old, "projects": projects}
    if new != expected:
        raise AssertionError(f"editing the inventory for {path} would change more than that entry")
