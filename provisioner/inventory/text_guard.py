"""An inventory file's text, checked before any YAML or JSON reader builds anything from it.

A team file pulled in by `include:` is input the user may not have read. Three things in it can make a
reader spend minutes, gigabytes or the C stack: an alias bomb (nine aliases of nine aliases of ... a
"billion laughs" in 1 KB), nesting thousands of levels deep (ruamel's composer and `json` recurse,
libyaml's crashes the process, and its parser is quadratic in the depth), and bytes that are not text.
Each is found here in one pass over the parser's events, which builds no tree, and is reported where it
is written, in well under a second whatever the file's size.
"""

from __future__ import annotations

import re

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

from provisioner.errors import InputProblem

MAX_DEPTH = 64
"""Mappings and lists inside each other. The inventory's own sections are 8 deep; blueprint_vars are data."""
MAX_ALIAS_NODES = 100_000
"""Nodes that aliases may add to a file, beyond ten times the nodes written in it: sharing a block of
settings between many entries stays well inside, an alias bomb does not."""

# YAML 1.2 (5.1): the printable characters; anything else is refused by every YAML reader anyway.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def decode(raw: bytes, file: str) -> str | InputProblem:
    """`raw` as text, or a problem at the first byte that is not UTF-8 or not a character YAML allows."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw[: exc.start].decode("utf-8", "replace"))
        return InputProblem(file, line, column, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")
    found = _NOT_PRINTABLE.search(text)
    if found is not None:
        line, column = _position(text[: found.start()])
        what = "a NUL byte" if found.group() == "\0" else f"the control character U+{ord(found.group()):04X}"
        return InputProblem(file, line, column, "", f"{what}: a YAML file holds only printable text")
    return text


def check_structure(text: str, file: str) -> InputProblem | None:
    """The first place where the nesting goes deeper than MAX_DEPTH or aliases expand past their
    bound; None when the file is within both (or when it does not parse: the reader reports that)."""
    written = 0  # nodes as written (an alias counts as one)
    added = 0  # nodes the aliases bring in
    sizes: dict[str, int] = {}  # anchor -> nodes in what it names, aliases expanded
    open_sizes: list[int] = []  # nodes so far in each open collection, outermost first
    open_anchors: list[str | None] = []

    def done(size: int, anchor: str | None) -> None:
        if anchor is not None:
            sizes[anchor] = size
        if open_sizes:
            open_sizes[-1] += size

    try:
        for event in YAML(typ="safe").parse(text):
            if isinstance(event, CollectionEndEvent):
                done(open_sizes.pop(), open_anchors.pop())
            elif isinstance(event, AliasEvent):
                size = sizes.get(event.anchor, 1)
                added += size
                if added > MAX_ALIAS_NODES + 10 * written:
                    message = f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?)"
                    return _problem(file, event, message)
                done(size, None)
            elif isinstance(event, CollectionStartEvent):
                written += 1
                if len(open_sizes) == MAX_DEPTH:
                    return _problem(file, event, f"nested more than {MAX_DEPTH} levels deep")
                open_sizes.append(1)
                open_anchors.append(event.anchor)
            elif isinstance(event, NodeEvent):  # a scalar
                written += 1
                done(1, event.anchor)
    except YAMLError:
        return None
    return None


def json_within_depth(text: str) -> bool:
    """Whether a JSON text nests at most MAX_DEPTH deep (`json` would recurse into it). Innermost
    bracket pairs are removed a level at a time, in C, on the text without its strings."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(MAX_DEPTH):
        if not brackets:
            return True
        brackets = _INNERMOST.sub("", brackets)
    return not brackets


def _problem(file: str, event: NodeEvent, message: str) -> InputProblem:
    mark = event.start_mark
    return InputProblem(file, mark.line + 1, mark.column + 1, "", message)


def _position(before: str) -> tuple[int, int]:
    """1-based line and column of the character that follows `before`."""
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
