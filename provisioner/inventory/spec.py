"""What the loader hands to the engine: one merged, validated, resolved spec per project and group."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.inventory.schema import Project
from provisioner.secrets import Secret


@dataclass(frozen=True)
class Location:
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


@dataclass(frozen=True)
class ResolvedVariable:
    """A variable with its value in memory: a literal `str`, a `Secret`, or None (value unmanaged)."""

    key: str
    value: str | Secret | None
    environment_scope: str = "*"
    variable_type: str = "env_var"
    masked: bool = False
    hidden: bool = False
    protected: bool = False
    raw: bool = False
    description: str | None = None

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


@dataclass(frozen=True)
class GroupSpec:
    """Variables set on a group itself (`group_variables`)."""

    path: str
    variables: tuple[ResolvedVariable, ...] = ()
    prune: bool = False
    source: Location = Location("inventory.yaml")


@dataclass(frozen=True)
class LoadedInventory:
    projects: tuple[ProjectSpec, ...]  # sorted by path
    groups: tuple[GroupSpec, ...]  # only groups with group_variables, sorted by path
    files: tuple[str, ...]  # every file read, the main one first
    digest: str  # sha256 of the merged inventory with secret references (never values)
    warnings: tuple[str, ...] = ()
    """Display-safe, `file:line:column: field: message`: not wrong enough to stop, worth saying
    (`validate`, `plan`, `apply` and `check` print them on stderr)."""
