"""Pure: spread projects' entries over `defaults`, groups and projects without changing any of them.

The inventory merges `defaults` < groups (shallowest first) < the project; mappings merge deeply,
anything else (a list, a variable's definition) is replaced whole, and `null` removes what an
earlier layer set. An entry is therefore a set of *leaves* (path -> value), and what a layer sets is
a set of leaves too. Top down, each scope (defaults: every project; then each group, parents before
children) takes the value of a leaf that most of its projects share, when that saves lines: projects
with another value override it, and projects without the leaf remove it with `null` at the highest
point where they have nothing (a protected branch they lack is removed whole, never field by field,
which would leave an empty mapping that means "protected with the defaults").

Values are compared by `Leaf.identity`, which for a masked variable is a keyed digest of its values
(in memory only), so that a masked variable is shared only by projects whose values are equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.inventory.merge import atomic

Path = tuple[str, ...]
MIN_SHARED = 2  # a value held by one project stays with it


@dataclass(frozen=True)
class Leaf:
    value: Any = field(compare=False)
    identity: Hashable = field(repr=False)


@dataclass(frozen=True)
class Layers:
    defaults: dict[Path, Any]
    groups: dict[str, dict[Path, Any]]
    projects: dict[str, dict[Path, Any]]  # a None value is a `null`: it removes the inherited leaf


def flatten(entry: Mapping[str, Any]) -> dict[Path, Any]:
    """The leaves of an entry. Below an atomic mapping (`merge.atomic`) each key is one leaf (a
    variable's definition), as the inventory merges its layers."""
    leaves: dict[Path, Any] = {}

    def walk(node: Mapping[str, Any], at: Path) -> None:
        for key, value in node.items():
            path = (*at, key)
            if isinstance(value, Mapping) and value and not atomic(at):
                walk(value, path)
            else:
                leaves[path] = value

    walk(entry, ())
    return leaves


def unflatten(leaves: Iterable[tuple[Path, Any]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in leaves:
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return tree


def factor(projects: Mapping[str, Mapping[Path, Leaf]], groups: Sequence[str]) -> Layers:
    """`projects`: each project's leaves; `groups`: the groups whose layers may be used."""
    inherited: dict[str, dict[Path, Leaf]] = {name: {} for name in projects}
    defaults = _choose(list(projects), projects, inherited)
    chosen: dict[str, dict[Path, Any]] = {}
    for group in sorted(groups, key=lambda g: (g.count("/"), g)):
        inside = [name for name in projects if name.startswith(group + "/")]
        picked = _choose(inside, projects, inherited)
        if picked:
            chosen[group] = picked
    return Layers(defaults, chosen, {name: _own(projects[name], inherited[name]) for name in projects})


def _choose(
    inside: list[str], projects: Mapping[str, Mapping[Path, Leaf]], inherited: dict[str, dict[Path, Leaf]]
) -> dict[Path, Any]:
    if len(inside) < MIN_SHARED:
        return {}
    above = inherited[inside[0]]  # the same for every member: the layers above this scope
    paths = sorted({path for name in inside for path in projects[name]})
    taken: dict[Path, Any] = {}
    for path in paths:
        counts: Counter[Hashable] = Counter()
        sample: dict[Hashable, Leaf] = {}
        for name in inside:
            leaf = projects[name].get(path)
            if leaf is not None:
                counts[leaf.identity] += 1
                sample.setdefault(leaf.identity, leaf)
        identity, count = max(counts.items(), key=lambda item: (item[1], repr(item[0])))
        current = above.get(path)
        have_current = (
            sum(1 for name in inside if path not in projects[name])
            if current is None
            else counts.get(current.identity, 0)
        )
        if current is not None and current.identity == identity:
            continue
        if count >= MIN_SHARED and 2 * count > len(inside) and count - have_current > 1:
            taken[path] = sample[identity].value
            for name in inside:
                inherited[name][path] = sample[identity]
    return taken


def _own(desired: Mapping[Path, Leaf], inherited: Mapping[Path, Leaf]) -> dict[Path, Any]:
    """What the project's own layer must say, given what it inherits."""
    own: dict[Path, Any] = {
        path: leaf.value
        for path, leaf in desired.items()
        if path not in inherited or inherited[path].identity != leaf.identity
    }
    for path in inherited:
        if path not in desired:
            own[_removal_point(path, desired)] = None
    return own


def _removal_point(path: Path, desired: Mapping[Path, Leaf]) -> Path:
    """The shortest prefix of `path` under which the project has nothing."""
    for depth in range(1, len(path) + 1):
        prefix = path[:depth]
        if not any(other[:depth] == prefix for other in desired):
            return prefix
    return path
