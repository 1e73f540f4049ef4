"""Component mode, as a project that includes the component sees it: which version it pins, and what
the component project has released (its tags, read once per run for every project that pins one).

A pinned version that is not released is said (its pipeline fails until it is); so is a newer release
than the one pinned (`check` lists the projects an upgrade has not reached yet). Both are notices: the
inventory's pin is what the project should have, and it has it.
"""

from __future__ import annotations

from provisioner.blueprint.component import version_key
from provisioner.gitlab import tags
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change


def released_versions(api: GitLabApi, spec: ProjectSpec) -> tuple[str, ...] | None:
    """The component project's tags; None when it is missing or not visible (or not in component mode)."""
    component = spec.config.blueprint_component
    return None if component is None else tags.tag_names(api, component.project)


def version_notices(facet: str, spec: ProjectSpec, released: tuple[str, ...] | None) -> list[Change]:
    component = spec.config.blueprint_component
    if component is None or spec.config.blueprint is None:
        return []
    target = f"component {spec.config.blueprint}"
    pinned = component.version
    if released is None:
        note = f"the component project {component.project} is missing, or this token cannot read it"
        return [Change(facet, target, Action.UNMANAGED, after={"pinned": pinned, "note": note})]
    if pinned not in released:
        note = f"not released: {component.project} has no tag {pinned} (its pipeline fails until it has)"
        return [Change(facet, target, Action.UNMANAGED, after={"pinned": pinned, "note": note})]
    final = [v for v in released if (key := version_key(v)) is not None and key[3] == 1]  # no pre-releases
    newest = max(final, key=lambda v: version_key(v) or (0, 0, 0, 0, ""), default=None)
    pinned_key = version_key(pinned)
    if newest is None or pinned_key is None or (version_key(newest) or pinned_key) <= pinned_key:
        return []
    note = "a newer version is released: raise blueprint_component.version to upgrade"
    after = {"pinned": pinned, "newest": newest, "note": note}
    return [Change(facet, target, Action.UNMANAGED, after=after)]
