"""The attributes of a target itself, every facet's in one write.

A facet says which of its changes set attributes of the target (`TargetAttributes`: a project's
settings, its runner toggles, its registries' access levels all go out with `PUT /projects/:id`). The
target's anchor writes them at once, before any facet applies the rest of its changes, which may rely
on them (a registry's protection rules need the registry enabled). GitLab validates a write whole and
keeps nothing of one it refuses; its refusal names the attribute when it can tell: the facets whose
attributes it names fail, and the other facets' are written again without them. A refusal that names
none fails every facet that contributed. A facet that failed here applies nothing else, as when each
facet wrote its attributes itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.errors import Rejected
from provisioner.facets.base import Anchor, Facet, target_attributes
from provisioner.gitlab.api import GitLabApi
from provisioner.model import Change, TargetRef


def write(
    api: GitLabApi, ref: TargetRef, anchor: Anchor, facets: Sequence[Facet[Any]], changes: Sequence[Change]
) -> list[tuple[str, Exception]]:
    """Write the target attributes `changes` set; returns the facets whose attributes were refused,
    each with the refusal. Merged in registry order (a later facet's value wins: the facet it
    overrides then finds its own did not stick)."""
    wanted: dict[str, Mapping[str, Any]] = {}
    for facet in facets:
        attributes = target_attributes(c for c in changes if c.facet == facet.name and c.is_pending)
        if attributes:
            wanted[facet.name] = attributes
    failed: list[tuple[str, Exception]] = []
    while wanted:
        merged: dict[str, Any] = {}
        for attributes in wanted.values():
            merged.update(attributes)
        try:
            anchor.update(api, ref, merged)
            break
        except Exception as exc:
            blamed = named_in(exc, wanted) or list(wanted)
            failed += [(name, exc) for name in blamed]
            for name in blamed:
                del wanted[name]
    return failed


def named_in(exc: Exception, wanted: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The facets whose attributes GitLab's refusal names; none when it cannot be told."""
    if not isinstance(exc, Rejected):
        return []  # a role, a server failure: the cause is no attribute
    return [facet for facet, attributes in wanted.items() if any(_names(exc.message, a) for a in attributes)]


def _names(message: str, attribute: str) -> bool:
    # A nested attribute written as `x_attributes` is refused as `x_attributes[key]` (Grape's
    # parameter check) or `x.key` (the model's validation): either names it.
    stems = {attribute, attribute.removesuffix("_attributes")}
    return any(re.search(rf"(?<!\w){re.escape(stem)}(?!\w)", message) for stem in stems)
