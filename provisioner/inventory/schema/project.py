"""A project (and what `defaults` and groups give projects), a group, and an inventory file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from provisioner.inventory.schema.base import _Model
from provisioner.inventory.schema.protection import Protection
from provisioner.inventory.schema.registry import Registry
from provisioner.inventory.schema.runners import Runners
from provisioner.inventory.schema.settings import Settings
from provisioner.inventory.schema.variables import Variables


class Project(_Model):
    """What a project should look like. Used for `defaults`, each group, and each project."""

    create: bool | None = None
    """Create the project when it is missing (otherwise a missing project is an error)."""
    blueprint: str | None = None
    """A folder under blueprints/ to render and commit (see `provisioner blueprint list`)."""
    blueprint_vars: dict[str, Any] = {}
    blueprint_enforce: bool | list[str] | None = None
    """Files whose every difference from the rendering is drift, which apply restores (the team's edits
    are not kept): true, those the blueprint marks for compliance (python-package: .gitlab-ci.yml, and the
    project's ci_config_path with it); a list, exactly these paths; false, none. Unset: the blueprint's."""
    settings: Settings = Settings()
    variables: Variables = Variables()
    runners: Runners | None = None
    registry: Registry | None = None
    protection: Protection | None = None


class Coverage(_Model):
    """Every project GitLab lists under this group, at any depth, now and in future, is managed: with
    the configuration the inventory gives it (defaults, its groups, its own entry if it has one)."""

    exclude: list[Annotated[str, Field(min_length=1)]] = []
    """Projects left out, by full path or glob (`fintech/sandbox-*`, `fintech/archive/*`): not managed,
    and not reported as not covered."""


class Group(Project):
    group_variables: Variables = Variables()
    """Variables set on the group itself (the other keys apply to the group's projects)."""
    coverage: Coverage | None = None
    """Manage every project under the group, listed or not (see `Coverage`). Without it, only the
    projects the inventory lists are managed, and `check` reports the others as not covered."""


class Inventory(_Model):
    version: Literal[1]
    uncovered: Literal["report", "ignore"] = "report"
    """A project under a group of this inventory that no entry and no coverage rule names: `report`ed
    as not covered (check fails: a JUnit failure, exit 2), or `ignore`d. Only the main file says it."""
    include: list[str] = []
    """More inventory files (glob patterns relative to this file), merged in order."""
    defaults: Project = Project()
    groups: dict[str, Group] = {}
    """By full path; applies to the group's projects at any depth, ancestors first."""
    projects: dict[str, Project] = {}
    """By full path."""
