"""The facet interface: one module per aspect of a project, all with the same three functions.

`observe` reads (through the run's `GitLabApi`), `diff` is pure, `apply` writes exactly the changes it is
given. The engine calls them in registry order and knows no facet by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from provisioner.gitlab import GitLabApi
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import Change, ProjectRef


@dataclass(frozen=True)
class PlanOptions:
    rotate: bool = False
    """Replace values that cannot be compared (hidden variables) and tokens whose scopes changed."""


@dataclass
class ApplyContext:
    """What `apply` may need beyond the changes: where one-time tokens go, and a progress hook."""

    options: PlanOptions = field(default_factory=PlanOptions)
    inventory_dir: str = "."
    store_token: Callable[[str, str, str], None] | None = None
    """store_token(kind, default_name, token): puts a one-time token where the spec says."""
    note: Callable[[str], None] = lambda message: None


@runtime_checkable
class Facet(Protocol):
    name: str

    def wants(self, spec: ProjectSpec) -> bool:
        """Whether the inventory configures this facet for the project at all."""

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Any:
        """Read what the facet owns, normalised so that it compares with the spec."""

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        """Pure: the changes that would make `observed` match `spec`."""

    def apply(self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        """Write exactly `changes` (all of this facet), in order."""


@runtime_checkable
class GroupFacet(Protocol):
    name: str

    def observe(self, api: GitLabApi, group: GroupSpec) -> Any: ...

    def diff(self, spec: GroupSpec, observed: Any, options: PlanOptions) -> list[Change]: ...

    def apply(self, api: GitLabApi, group: GroupSpec, changes: Sequence[Change], ctx: ApplyContext) -> None: ...
