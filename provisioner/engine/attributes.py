"""The attributes of a target itself, every facet's in one write.

A facet says which of its changes set attributes of the target (`TargetAttributes`: a project's
settings, its runner toggles, its registries' access levels all go out with `PUT /projects/:id`). The
target's anchor writes them at once, before any facet applies the rest of its changes, which may rely
on them (a registry's protection rules need the registry enabled). GitLab validates such a write whole
and keeps nothing of one it refuses; where its refusal names attributes (`AttributesRejected`), the
facets that asked for them fail and the other facets' attributes are written again without them. A
refusal that names none (a role, a server failure, a message about no attribute) fails every facet
that contributed. A facet that failed here applies nothing else, as when each facet wrote its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.errors import AttributesRejected
from provisioner.facets.base import Anchor, Facet, TargetAttributes, target_attributes
from provisioner.gitlab.api import GitLabApi
from provisioner.model import Change, TargetRef


def write(
    api: GitLabApi, ref: TargetRef, anchor: Anchor, facets: Sequence[Facet[Any]], changes: Sequence[Change]
) -> list[tuple[str, Exception]]:
    """Write the target attributes that `changes` set, merged in registry order (a later facet's value
    wins: the facet it overrode finds its own did not stick). Returns the facets whose attributes were
    refused, each with the refusal."""
    wanted: dict[str, Mapping[str, Any]] = {}
    for facet in facets:
        attributes = target_attributes(c for c in changes if c.facet == facet.name and c.is_pending)
        if attributes:
            wanted[facet.name] = attributes
    if not wanted:
        return []
    api.writing(ref)
    try:
        return _write(api, ref, anchor, wanted)
    finally:
        api.writing(ref)


def _write(
    api: GitLabApi, ref: TargetRef, anchor: Anchor, wanted: dict[str, Mapping[str, Any]]
) -> list[tuple[str, Exception]]:
    failed: list[tuple[str, Exception]] = []
    while wanted:
        merged: dict[str, Any] = {}
        for asked in wanted.values():
            merged.update(asked)
        try:
            anchor.update(api, ref, merged)
            break
        except Exception as exc:
            named = exc.attributes if isinstance(exc, AttributesRejected) else frozenset()
            blamed = [name for name, asked in wanted.items() if named & asked.keys()] or list(wanted)
            failed += [(name, exc) for name in blamed]
            for name in blamed:
                del wanted[name]
    return failed


def the_rest(changes: Sequence[Change], facet: str) -> list[Change]:
    """The pending changes of `facet` its own `apply` makes: all but its target attributes."""
    return [
        c
        for c in changes
        if c.facet == facet and c.is_pending and not isinstance(c.payload, TargetAttributes)
    ]
