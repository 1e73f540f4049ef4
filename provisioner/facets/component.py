"""A CI/CD component project (`component`): the blueprint's pipeline as a component (its files, see
provisioner/blueprint/component.py), a tag per version, and its place in the CI/CD catalog.

In one run, in order: the files, planned and written as the files facet does (one commit; a merge
request where the branch is protected or a file is the team's own); the version's tag, at the default
branch's head once it holds the rendering (in the same run when the files go there directly; awaiting
while they wait in a merge request); the catalog project toggle (GitLab 17.0+; "needs GitLab 17.0"
before). A version once tagged is never moved: a tag that holds another rendering is an error that
asks for a new version. The release job of the project's own pipeline then releases the tag, which
publishes that version to the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint import Rendering
from provisioner.blueprint.component import render_component, template_path
from provisioner.errors import ProvisionerError
from provisioner.facets.base import ApplyContext, FacetDefaults, PlanOptions, unsupported
from provisioner.facets.files import FilesObserved, apply_files, diff_files, observe_rendering
from provisioner.gitlab import catalog, repository, tags
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.tags import Tag
from provisioner.gitlab_versions import Version, available
from provisioner.inventory.sections.component import ComponentSection
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

CATALOG = "CI/CD catalog project"


@dataclass(frozen=True)
class ComponentObserved:
    files: FilesObserved
    tag: Tag | None
    tag_matches: bool | None  # whether the tag's component is this rendering's (None: no tag)
    direct: bool  # the files' changes go straight to the default branch
    server: Version
    catalog: bool | None  # a catalog project (None: not asked, or this GitLab has no catalog)
    path: str = ""
    described: bool = True  # the project has a description (the catalog shows it)


@dataclass(frozen=True)
class _TagWrite:
    name: str
    branch: str
    template: str
    sha256: str


@dataclass(frozen=True)
class _CatalogWrite:
    project: str


def section(spec: ProjectSpec) -> ComponentSection | None:
    return getattr(spec.config, "component", None)


def component_rendering(spec: ProjectSpec) -> Rendering:
    config = section(spec)
    assert config is not None
    return render_component(
        config.blueprint,
        config.blueprint_vars,
        project=spec.path,
        version=config.version,
        release_image=config.release_image,
    )


def observe_component(api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ComponentObserved:
    config = section(spec)
    assert config is not None
    rendering = component_rendering(spec)
    files = observe_rendering(api, project, spec, rendering)
    tag = None if files.empty else tags.tag(api, project.id, config.version)
    matches = None
    if tag is not None:
        path = template_path(rendering.blueprint)
        head = repository.file_heads(api, project.id, tag.name, [path], default_branch=False)[path]
        matches = head is not None and head.sha256 == rendering.file(path).sha256
    plan = files.plan()
    direct = files.empty or not plan.changes
    if not direct and not plan.needs_person and not plan.adopting:
        branch = repository.branch(api, project.id, files.branch)
        direct = branch is not None and branch.can_push
    server = api.server()
    listed = None
    if config.catalog and available(catalog.FEATURE, server):
        listed = catalog.is_catalog_project(api, project.path)
    described = bool(str(project.attributes.get("description") or "").strip())
    return ComponentObserved(files, tag, matches, direct, server, listed, project.path, described)


def diff_component(facet: str, config: ComponentSection, observed: ComponentObserved) -> list[Change]:
    changes = diff_files(facet, observed.files)
    changes += _tag_changes(facet, config, observed, changes)
    if config.catalog:
        changes += _catalog_changes(facet, observed)
    return changes


def _tag_changes(
    facet: str, config: ComponentSection, observed: ComponentObserved, files: list[Change]
) -> list[Change]:
    version, target = config.version, f"tag {config.version}"
    if observed.tag is not None:
        if observed.tag_matches:
            return []
        raise ProvisionerError(
            f"{target} already holds another rendering of the component: a released version is never "
            "moved, so give this one a new version (component.version)"
        )
    rendering = observed.files.rendering
    path = template_path(rendering.blueprint)
    write = _TagWrite(version, observed.files.branch, path, rendering.file(path).sha256)
    after: dict[str, Any] = {"at": f"the head of {observed.files.branch}, once it holds this version's files"}
    waiting = [c for c in files if c.action is Action.AWAITING]
    if waiting or (not observed.direct and any(c.is_pending for c in files)):
        mr = observed.files.merge_request
        after = {"waits for": "the merge request with the files" + (f" ({mr.web_url})" if mr else "")}
        return [Change(facet, target, Action.AWAITING, after=after)]
    return [Change(facet, target, Action.CREATE, after=after, payload=write)]


def _catalog_changes(facet: str, observed: ComponentObserved) -> list[Change]:
    if observed.catalog is None:
        finding = unsupported(facet, CATALOG, catalog.FEATURE, observed.server)
        return [finding] if finding else []
    changes = []
    if not observed.catalog:
        payload = _CatalogWrite(observed.path)
        changes.append(Change(facet, CATALOG, Action.CREATE, after={"catalog": True}, payload=payload))
    if not observed.described:
        note = "the catalog lists versions of a project with a description only: set settings.description"
        changes.append(Change(facet, "CI/CD catalog", Action.UNMANAGED, after={"note": note}))
    return changes


def apply_component(api: GitLabApi, project: ProjectRef, changes: Sequence[Change]) -> None:
    apply_files(api, project, changes)  # the files first: the tag points at them
    for change in changes:
        if isinstance(change.payload, _TagWrite):
            _tag(api, project.id, change.payload)
        elif isinstance(change.payload, _CatalogWrite):
            catalog.make_catalog_project(api, change.payload.project)


def _tag(api: GitLabApi, project_id: int, write: _TagWrite) -> None:
    head = repository.file_heads(api, project_id, write.branch, [write.template], default_branch=False)
    branch = repository.branch(api, project_id, write.branch)
    found = head[write.template]
    if branch is None or found is None or found.sha256 != write.sha256:
        raise ProvisionerError(
            f"{write.branch} does not hold version {write.name}'s component (yet): the tag waits for it"
        )
    tags.create_tag(api, project_id, write.name, branch.commit_id, f"Version {write.name} of the component")


class ProjectComponent(FacetDefaults):
    name = "component"
    kind = TargetKind.PROJECT
    section = "component"
    schema = ComponentSection
    # Files and tags need a Developer (a Maintainer where main is protected); making a catalog project
    # needs its Owner [G:doc/ci/components/_index.md]: asked up front, so that nothing is half written.
    write_role = Role.OWNER
    features = (catalog.FEATURE,)

    def wants(self, spec: ProjectSpec) -> bool:
        return section(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ComponentObserved:
        return observe_component(api, project, spec)

    def diff(self, spec: ProjectSpec, observed: ComponentObserved, options: PlanOptions) -> list[Change]:
        config = section(spec)
        assert config is not None
        return diff_component(self.name, config, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_component(api, project, changes)
