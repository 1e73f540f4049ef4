"""Pure: what a target is on GitLab, said in the inventory's words (its full entry), facet by facet.

Each facet describes what it read (`Facet.describe`) through the inventory's own schema models, so
what comes out validates by construction; a value the schema cannot express (or a part that could not
be read) is left out, which leaves it unmanaged, with a note saying so. Each facet writes its part the
way it compares it, so that a plan right after an import is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.facets.base import Description, Facet
from provisioner.model import ProjectRef, TargetKind
from provisioner.onboard.estate import TargetState


def describe_target(state: TargetState, facets: Sequence[Facet[Any]]) -> Description:
    kind = TargetKind.PROJECT if isinstance(state.ref, ProjectRef) else TargetKind.GROUP
    out = Description(notes=list(state.notes))
    for facet in facets:
        if facet.kind is not kind:
            continue
        part = facet.describe(state.ref, state.current.get(facet.name))
        out.entry.update({name: value for name, value in part.entry.items() if value})
        out.notes.extend(part.notes)
        out.comments.update(part.comments)
        out.private.update(part.private)
    return out
