"""A project (and what `defaults` and groups give projects), a group, and an inventory file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from provisioner.inventory.schema.base import _Model, full_path_problem
from provisioner.inventory.schema.protection import Protection
from provisioner.inventory.schema.registry import Registry
from provisioner.inventory.schema.runners import Runners
from provisioner.inventory.schema.settings import Settings
from provisioner.inventory.schema.variables import Variables

SEMANTIC_VERSION = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$"
"""A CI/CD catalog version [G:doc/ci/components/_index.md 'Semantic versioning']: 1.2.0, 2.0.0-rc1."""


class BlueprintComponent(_Model):
    """Component mode: the project's pipeline is the blueprint's CI/CD component, included at a pinned
    version (the include entry is the tool's, the rest of .gitlab-ci.yml the team's)."""

    project: str
    """The component project (the one whose `component` section renders it), by full path."""
    version: Annotated[str, Field(pattern=SEMANTIC_VERSION)]
    """The version to include: one the component project has released (its tag)."""

    @field_validator("project")
    @classmethod
    def _full_path(cls, path: str) -> str:
        if (problem := full_path_problem(path, project=True)) is not None:
            raise ValueError(problem)
        return path


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
    blueprint_component: BlueprintComponent | None = None
    """Component mode: .gitlab-ci.yml includes the blueprint's CI/CD component at this version instead
    of holding the pipeline itself (unset: the pipeline is rendered into the project, inline mode)."""
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
