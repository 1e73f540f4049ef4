"""Project settings written with `PUT /projects/:id` (REFERENCE 2.1), under GitLab's own names.

Only attributes the inventory names are compared. GitLab omits CI/CD attributes from the project
entity when the token is below Maintainer: a missing attribute is unknown, never false, so the facet
refuses to plan rather than guess. Where the token's role is known, that is what the refusal says, in
the words every facet uses, so that a project's report names the cause once. An attribute (or value)
the server's version does not have is dropped by GitLab without an error: it is said to need a newer
GitLab (`provisioner.gitlab_versions`), and neither compared nor written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.errors import Unobservable
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    PlanOptions,
    Requirement,
    TargetAttributes,
    lacking,
    target_attributes,
    unsupported_keys,
)
from provisioner.facets.describing import fits
from provisioner.gitlab import projects
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab_versions import FEATURES, Version
from provisioner.inventory.schema import Settings
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind


@dataclass(frozen=True)
class ObservedSettings:
    attributes: Mapping[str, Any]  # the project entity, as read
    server: Version | None = None  # None: not known, every attribute is taken to exist


def desired_settings(spec: ProjectSpec) -> dict[str, Any]:
    return spec.config.settings.model_dump(exclude_none=True)


def _attribute(feature: str) -> str:
    """`rest:Project.x=y` -> `x`; "" for a row about something else."""
    return feature.removeprefix("rest:Project.").split("=")[0] if feature.startswith("rest:Project.") else ""


def setting_requirements(desired: Mapping[str, Any]) -> tuple[Requirement, ...]:
    """The attributes, and string values, the version table dates (`rest:Project.<name>[=<value>]`)."""
    found = []
    for name, value in desired.items():
        for feature in (f"rest:Project.{name}", f"rest:Project.{name}={value}"):
            if feature in FEATURES:
                found.append(Requirement(f"project setting {name}", f"settings.{name}", feature))
    return tuple(found)


def normalise(name: str, value: Any) -> Any:
    """Make what GitLab answers comparable with what the inventory says."""
    if name in ("ci_config_path", "description") and value is None:
        return ""
    return value


def diff_attributes(
    facet: str, target: str, desired: Mapping[str, Any], observed: Mapping[str, Any]
) -> list[Change]:
    """One change holding every attribute that differs (written with the other facets' attributes of
    the project, in one PUT: `TargetAttributes`)."""
    unknown = sorted(name for name in desired if name not in observed)
    if unknown:
        raise Unobservable(
            f"cannot read {', '.join(unknown)}: GitLab shows these only to Maintainers (check the token's role)"
        )
    before, after = {}, {}
    for name, want in desired.items():
        have = normalise(name, observed[name])
        if normalise(name, want) != have:
            before[name], after[name] = have, want
    if not after:
        return []
    return [
        Change(
            facet, target, Action.UPDATE, before=before, after=after, payload=TargetAttributes(dict(after))
        )
    ]


def describe_settings(attributes: Mapping[str, Any]) -> Description:
    """Every known attribute GitLab shows, under its own name, as this facet compares it."""
    out = Description()
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        if name not in attributes:
            continue  # not shown to this token: unknown, so unmanaged
        value = normalise(name, attributes[name])
        if value is not None and fits(Settings, {name: value}, f"settings.{name}", out.notes):
            values[name] = value
    dumped = Settings(**values).model_dump(mode="json", exclude_none=True)
    if dumped:
        out.entry["settings"] = dumped
    return out


class ProjectSettings(FacetDefaults):
    name = "settings"
    kind = TargetKind.PROJECT
    section = "settings"
    write_role = Role.MAINTAINER  # PUT /projects/:id: admin_project [G:app/policies/project_policy.rb]
    schema = Settings
    features = tuple(f for f in FEATURES if _attribute(f) in Settings.model_fields)

    def wants(self, spec: ProjectSpec) -> bool:
        return bool(desired_settings(spec))

    def requirements(self, spec: ProjectSpec) -> tuple[Requirement, ...]:
        return setting_requirements(desired_settings(spec))

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedSettings:
        server = api.server()
        honoured = set(desired_settings(spec)) - {
            k.removeprefix("settings.") for k in unsupported_keys(self.requirements(spec), server)
        }
        if any(name not in project.attributes for name in honoured):
            require_maintainer(project)
        return ObservedSettings(project.attributes, server)

    def diff(self, spec: ProjectSpec, observed: ObservedSettings, options: PlanOptions) -> list[Change]:
        asked = self.requirements(spec)
        cannot = {k.removeprefix("settings.") for k in unsupported_keys(asked, observed.server)}
        desired = {k: v for k, v in desired_settings(spec).items() if k not in cannot}
        if observed.attributes.get("empty_repo"):
            # No branch exists yet to point at: the files facet's initial commit creates it, and the
            # first branch of a repository becomes its default.
            desired.pop("default_branch", None)
        found = lacking(self.name, asked, observed.server)
        return [*found, *diff_attributes(self.name, "project settings", desired, observed.attributes)]

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        # Run by the engine, the facet is handed nothing: its changes are all attributes of the project.
        require_maintainer(project)  # PUT /projects/:id needs admin_project; GitLab answers a bare 403
        if attributes := target_attributes(changes):
            projects.update(api, project.id, attributes)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> Mapping[str, Any]:
        return project.attributes  # the entity, as read: nothing more to ask

    def describe(self, project: ProjectRef, current: object) -> Description:
        return describe_settings(project.attributes)
