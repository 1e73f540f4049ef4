"""The sections the registered facets bring to the schema, and the models that hold them.

A facet declares its inventory `section` and `schema` (see `provisioner.facets.base`); those this package
spells out itself (settings, variables, ...) are static fields of `Project`, any other is added here, so
that a new facet needs no edit of `Project`: a project's sections to `Project` (and to `Group`, which
gives its projects what they inherit), a group's own (`group_*`) to `Group` only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, create_model

from provisioner.blueprint.needs import Needs, Unmet
from provisioner.inventory.schema.base import _Model
from provisioner.inventory.schema.project import Group, Inventory, Project


@dataclass(frozen=True)
class Sections:
    """The inventory sections the registered facets read, with their schemas, beyond those this module
    spells out: a project's (also written under `defaults` and a group, for the projects below it), and
    a group's own (`group_*`: the group itself, never inherited)."""

    project: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    group: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    unmet_needs: Callable[[Any, Needs], Sequence[Unmet]] | None = None
    """(a project's merged entry, its blueprint's needs) -> what the facets will leave unmet: the loader
    warns about each (see `provisioner.blueprint.needs`)."""

    def _extra(self, which: Mapping[str, type[BaseModel]]) -> tuple[tuple[str, type[BaseModel]], ...]:
        return tuple(sorted((k, v) for k, v in which.items() if k not in Group.model_fields))


NO_SECTIONS = Sections()


def project_model(sections: Sections = NO_SECTIONS) -> type[Project]:
    """`Project`, with the sections it does not spell out itself (a facet that brings its own)."""
    return _models(sections._extra(sections.project), sections._extra(sections.group))[0]


def group_model(sections: Sections = NO_SECTIONS) -> type[Group]:
    """`Group`: a project's sections (for the projects below it) and the group's own."""
    return _models(sections._extra(sections.project), sections._extra(sections.group))[1]


def inventory_model(sections: Sections = NO_SECTIONS) -> type[Inventory]:
    return _models(sections._extra(sections.project), sections._extra(sections.group))[2]


def group_own_model(sections: Sections = NO_SECTIONS) -> type[BaseModel]:
    """The sections of a group's own that the facets bring (what `GroupSpec.config` holds)."""
    fields: dict[str, Any] = {name: (model | None, None) for name, model in sections._extra(sections.group)}
    return _own(tuple(sorted(fields.items(), key=lambda item: item[0])))


@functools.cache
def _own(fields: tuple[tuple[str, Any], ...]) -> type[BaseModel]:
    return create_model("GroupOwn", __base__=_Model, **dict(fields))


Extra = tuple[tuple[str, type[BaseModel]], ...]


_MADE: dict[tuple[Extra, Extra], tuple[type[Project], type[Group], type[Inventory]]] = {}


def _models(project_extra: Extra, group_extra: Extra) -> tuple[type[Project], type[Group], type[Inventory]]:
    if not project_extra and not group_extra:
        return Project, Group, Inventory
    if (project_extra, group_extra) not in _MADE:
        _MADE[(project_extra, group_extra)] = _make(project_extra, group_extra)
    return _MADE[(project_extra, group_extra)]


def _make(project_extra: Extra, group_extra: Extra) -> tuple[type[Project], type[Group], type[Inventory]]:
    fields: dict[str, Any] = {name: (model | None, None) for name, model in project_extra}
    own: dict[str, Any] = {name: (model | None, None) for name, model in group_extra}
    project = create_model("Project", __base__=Project, **fields)
    group = create_model("Group", __base__=Group, **fields, **own)
    inventory = create_model(
        "Inventory",
        __base__=Inventory,
        defaults=(project, project()),
        groups=(dict[str, group], {}),
        projects=(dict[str, project], {}),
    )
    return project, group, inventory
