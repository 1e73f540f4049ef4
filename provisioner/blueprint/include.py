"""The `include` policy of component mode: in a project's pipeline the tool keeps one entry of
`include:`, the component at the pinned version with the project's inputs; every other line is the
team's (its jobs, its variables, its other includes, its comments).

The entry is found by the component's address (`$CI_SERVER_FQDN/<project>/<name>`, any version) and
replaced line for line where it stands, the rest of the file untouched: raising the version is a
one-line change, and no three-way merge is needed. YAML is composed (ruamel.yaml keeps every node's
position) only to find the entry's lines, never dumped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provisioner.blueprint.tomlkeys import UnreadableFile


@dataclass(frozen=True)
class Entry:
    reference: str  # the `component:` value, with its version
    first: int  # first line (0-based) of the entry
    last: int  # last line
    dash: int  # the column of its `- ` (for an entry that is `include`'s only mapping: where it would be)

    @property
    def address(self) -> str:
        return self.reference.rpartition("@")[0] or self.reference


@dataclass(frozen=True)
class IncludeEdit:
    text: str
    before: str  # the reference the file had
    after: str


def rendered_entry(rendered: str) -> tuple[Entry, list[str]]:
    """The entry of the tool's own rendering and its lines."""
    entries = entries_of("(rendering)", rendered)
    if len(entries) != 1:
        raise ValueError("the rendering of a component include holds exactly one component entry")
    entry = entries[0]
    return entry, rendered.splitlines()[entry.first : entry.last + 1]


def apply_include(path: str, current: str, rendered: str) -> IncludeEdit | None:
    """`current` with the component's entry made the rendering's; None when `current` has no entry for
    the component (the team's own pipeline, or the inline one). Raises UnreadableFile when the file does
    not read as YAML or holds the component twice."""
    ours, lines = rendered_entry(rendered)
    found = [e for e in entries_of(path, current) if e.address == ours.address]
    if not found:
        return None
    if len(found) > 1:
        raise UnreadableFile(path, f"includes {ours.address} {len(found)} times: keep one")
    entry = found[0]
    shift = entry.dash - ours.dash
    # At the entry's own indentation; an `include:` that was the entry itself becomes a list of one.
    new = [(" " * shift + line) if shift >= 0 else line[-shift:] for line in lines]
    old = current.splitlines(keepends=True)
    ending = "\r\n" if old and old[0].endswith("\r\n") else "\n"
    edited = (
        "".join(old[: entry.first]) + "".join(line + ending for line in new) + "".join(old[entry.last + 1 :])
    )
    return IncludeEdit(edited, entry.reference, ours.reference)


def entries_of(path: str, text: str) -> list[Entry]:
    """Every `include:` entry that names a component, where it is written."""
    try:
        root = YAML(typ="safe", pure=True).compose(text)
    except YAMLError as exc:
        raise UnreadableFile(path, f"is not valid YAML: {exc}") from None
    documents = root if isinstance(root, list) else [root]
    found: list[Entry] = []
    for document in documents:
        if not isinstance(document, MappingNode):
            continue
        for key, value in document.value:
            if isinstance(key, ScalarNode) and key.value == "include":
                found += _entries(path, key, value)
    return found


def _entries(path: str, key: ScalarNode, value: Node) -> list[Entry]:
    if isinstance(value, SequenceNode):
        items = [(item, True) for item in value.value]
        if value.flow_style and any(_component(i) for i, _ in items):
            raise UnreadableFile(path, "writes include: as a flow list ([...]): write it as a block list")
    else:
        items = [(value, False)]
    entries = []
    for item, listed in items:
        reference = _component(item)
        if reference is None:
            continue
        if isinstance(item, MappingNode) and item.flow_style:
            raise UnreadableFile(path, "writes the component's include entry in flow style ({...})")
        first = item.start_mark.line
        dash = item.start_mark.column - 2 if listed else key.start_mark.column + 2
        entries.append(Entry(reference, first, _last_line(item), dash))
    return entries


def _component(node: Node) -> str | None:
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "component" and isinstance(value, ScalarNode):
            return str(value.value)
    return None


def _last_line(node: Node) -> int:
    """The last line holding a part of `node`. A block collection ends where its next sibling starts,
    so its own end mark says nothing: its last part's does. A scalar's or a flow collection's end mark
    is right after it (a block scalar's, at the start of the next line)."""
    block = isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value
    if block and isinstance(node, MappingNode):
        return max(_last_line(part) for pair in node.value for part in pair)
    if block and isinstance(node, SequenceNode):
        return max(_last_line(item) for item in node.value)
    mark = node.end_mark
    return int(max(node.start_mark.line, mark.line if mark.column > 0 else mark.line - 1))
