"""The managed-keys policy: the tool enforces its tables and keys in a TOML file; the rest stays the team's.

Edits go through tomlkit, which keeps comments, order and formatting. A value is rewritten only when it
differs from the rendering by value, so a team's layout of an equal value survives, and applying the
policy to its own output changes nothing.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Item, Table
from tomlkit.toml_document import TOMLDocument

from provisioner.blueprint.manifest_schema import EnsureItems, FileRule
from provisioner.errors import ProvisionerError

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class UnreadableFile(ProvisionerError):
    """A file the tool must edit is not valid for its format (a pyproject.toml that does not parse)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: cannot edit it: {message}")


def apply_owned_keys(path: str, current: str, rendered: str, rule: FileRule) -> str:
    """`current` with the tool-owned parts of `rendered` enforced; equal to `current` when nothing differs."""
    doc = _parse(path, current)
    desired = _parse(path, rendered)
    changed = False
    for dotted in rule.owned:
        keys = dotted.split(".")
        want = _lookup(desired, keys)
        if want is None:
            continue  # the rendering does not have it (e.g. the other build backend's table): not enforced
        have = _lookup(doc, keys)
        if have is not None and _plain(have) == _plain(want):
            continue
        _set(path, doc, keys, copy.deepcopy(want))
        changed = True
    for rule_items in rule.ensure_items:
        changed |= _ensure_items(path, doc, desired, rule_items)
    return doc.as_string() if changed else current


def _ensure_items(path: str, doc: TOMLDocument, desired: TOMLDocument, rule: EnsureItems) -> bool:
    if rule.unless is not None and _lookup(doc, rule.unless.split(".")) is not None:
        return False
    keys = rule.path.split(".")
    want = _lookup(desired, keys)
    if not isinstance(want, Array):
        return False
    have = _lookup(doc, keys)
    if not isinstance(have, Array):
        _set(path, doc, keys, copy.deepcopy(want))
        return True
    present = {_identity(item, rule) for item in _plain(have)}
    missing = [item for item in _plain(want) if _identity(item, rule) not in present]
    for item in missing:
        have.append(item)
    return bool(missing)


def _identity(item: Any, rule: EnsureItems) -> Any:
    if rule.match == "requirement-name" and isinstance(item, str):
        found = _REQUIREMENT_NAME.match(item)
        if found:
            return re.sub(r"[-_.]+", "-", found.group(1)).lower()  # PEP 503 normalisation
    return repr(item)


def _parse(path: str, text: str) -> TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise UnreadableFile(path, str(exc)) from None


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _lookup(doc: TOMLDocument, keys: list[str]) -> Any:
    node: Any = doc
    for key in keys:
        if not isinstance(node, Container | Table | dict) or key not in node:
            return None
        node = node[key]
    return node


def _set(path: str, doc: TOMLDocument, keys: list[str], value: Item) -> None:
    node: Any = doc
    for key in keys[:-1]:
        child = node.get(key) if isinstance(node, Container | Table | dict) else None
        if isinstance(child, AoT) or (child is not None and not isinstance(child, Table | dict)):
            raise UnreadableFile(path, f"{'.'.join(keys)}: {key} is not a table")
        if child is None:
            # An implicit parent such as [tool] stays implicit: only [tool.x.y] headers get written.
            node[key] = tomlkit.table(is_super_table=True)
            child = node[key]
        node = child
    last = keys[-1]
    if isinstance(value, Table) and last not in node and isinstance(node, TOMLDocument | Table):
        value.trivia.indent = ""
    node[last] = value
