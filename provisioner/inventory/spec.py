"""What the loader hands to the engine: one merged, validated, resolved spec per project and group."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pydantic import BaseModel

from provisioner.inventory.schema import Project
from provisioner.model import TargetKind
from provisioner.secrets import Secret


@dataclass(frozen=True)
class Location:
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


VARIABLE_METADATA = frozenset({"variable_type", "protected", "masked", "hidden", "raw", "description"})
"""What a variable has beyond its key, scope and value."""

NO_SECRETS: Mapping[str, Secret] = MappingProxyType({})


@dataclass(frozen=True)
class ResolvedVariable:
    """A variable with its value in memory: a literal `str`, a `Secret`, or None (value unmanaged).

    `given`: the metadata the inventory writes. What it leaves out is GitLab's: compared and written
    only when the variable is created (with the defaults here), kept as it is otherwise."""

    key: str
    value: str | Secret | None
    environment_scope: str = "*"
    variable_type: str = "env_var"
    masked: bool = False
    hidden: bool = False
    protected: bool = False
    raw: bool = False
    description: str | None = None
    given: frozenset[str] = VARIABLE_METADATA

    @property
    def sensitive(self) -> bool:
        return isinstance(self.value, Secret) or self.masked or self.hidden

    @property
    def identity(self) -> tuple[str, str]:
        return (self.key, self.environment_scope)


@dataclass(frozen=True)
class ProjectSpec:
    """The desired state of one project: `defaults` < groups (ancestors first) < the project."""

    path: str
    config: Project  # merged; each facet reads its own section
    variables: tuple[ResolvedVariable, ...] = ()
    source: Location = Location("inventory.yaml")
    inventory_dir: str = "."  # the main inventory file's folder: token files are relative to it
    secrets: Mapping[str, Secret] = field(default_factory=lambda: NO_SECRETS, compare=False)
    """The values of the `secret:` references in facets' sections, by reference (`section_secrets`)."""

    kind = TargetKind.PROJECT

    @property
    def name(self) -> str:
        """The target's name in plans and reports."""
        return self.path


@dataclass(frozen=True)
class GroupSpec:
    """The desired state of a group itself (`group_variables`), as opposed to its projects'."""

    path: str
    variables: tuple[ResolvedVariable, ...] = ()
    prune: bool = False
    source: Location = Location("inventory.yaml")
    inventory_dir: str = "."
    config: BaseModel | None = None
    """The group's own sections that facets bring (`group_*`), validated; None: none given."""
    secrets: Mapping[str, Secret] = field(default_factory=lambda: NO_SECRETS, compare=False)
    """The values of the `secret:` references in those sections, by reference."""

    kind = TargetKind.GROUP

    @property
    def name(self) -> str:
        return f"group {self.path}"


TargetSpec = ProjectSpec | GroupSpec


@dataclass(frozen=True)
class LoadedInventory:
    projects: tuple[ProjectSpec, ...]  # sorted by path
    groups: tuple[GroupSpec, ...]  # only groups with group_variables, sorted by path

    @property
    def targets(self) -> tuple[TargetSpec, ...]:
        """Everything a run works on: groups first (few, and what projects inherit), then projects."""
        return (*self.groups, *self.projects)

    files: tuple[str, ...]  # every file read, the main one first
    digest: str  # sha256 of the merged inventory with secret references (never values)
    warnings: tuple[str, ...] = ()
    """Display-safe, `file:line:column: field: message`: not wrong enough to stop, worth saying
    (`validate`, `plan`, `apply` and `check` print them on stderr)."""
