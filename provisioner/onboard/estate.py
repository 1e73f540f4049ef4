"""Read everything `import` reproduces, for a group, every group below it and every project in them, once.

The reads are the facets' own (`Facet.read_current`, through the area modules of `provisioner.gitlab`):
the group's project listing fills the run cache with the project entities, then each target's facets
read what they would manage, targets in parallel. A facet (or a part of one) that cannot be read (a 403,
a server error) is left out for that target with a note; the others go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.facets.base import Facet
from provisioner.facets.describing import FAILED, read_part
from provisioner.gitlab import groups, permissions, projects
from provisioner.gitlab.api import GitLabApi
from provisioner.model import GroupRef, ProjectRef, TargetKind, TargetRef

NEEDS_MAINTAINER = (
    "the token has the {role} role here; managing a project needs Maintainer, so only what the "
    "project's entity shows was read"
)


@dataclass(frozen=True)
class TargetState:
    """One target as GitLab has it: what each facet read (by facet name; absent: not read, see `notes`)."""

    ref: TargetRef
    current: Mapping[str, Any]
    notes: tuple[str, ...] = ()  # display-safe

    @property
    def incomplete(self) -> bool:
        """Something could not be read for a reason other than the feature missing on this GitLab."""
        return any(FAILED in note for note in self.notes)


@dataclass(frozen=True)
class Estate:
    root: str
    groups: tuple[TargetState, ...]  # the root group and every group below it, by path
    projects: tuple[TargetState, ...]  # by path


class GroupNotFound(ProvisionerError):
    """The group to import does not exist, or this token cannot see it."""


def read_estate(
    api: GitLabApi, group_path: str, facets: Sequence[Facet[Any]], *, concurrency: int = 8
) -> Estate:
    root = groups.find_ref(api, group_path)
    if root is None:
        raise GroupNotFound(f"group {group_path} not found, or not visible to this token")
    below = [GroupRef(g.id, g.full_path) for g in groups.descendants(api, root.id)]
    entities = groups.projects(api, root.id)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="import") as pool:
        group_states = list(pool.map(lambda g: read_target(api, g, facets), [root, *below]))
        project_states = list(pool.map(lambda e: read_target(api, projects.to_ref(e), facets), entities))
    return Estate(
        root.path,
        tuple(sorted(group_states, key=lambda g: g.ref.path)),
        tuple(sorted(project_states, key=lambda p: p.ref.path)),
    )


def read_target(api: GitLabApi, ref: TargetRef, facets: Sequence[Facet[Any]]) -> TargetState:
    kind = TargetKind.PROJECT if isinstance(ref, ProjectRef) else TargetKind.GROUP
    mine = [f for f in facets if f.kind is kind]
    notes: list[str] = []
    if isinstance(ref, ProjectRef):
        level = permissions.access_level(ref)
        if level is not None and level < permissions.MAINTAINER:
            # Every facet's read would be refused: say why once instead of once per facet, and let the
            # facets describe what the entity shows.
            role = permissions.ROLE_NAMES.get(level, f"access level {level}")
            notes.append(f"{FAILED}: {NEEDS_MAINTAINER.format(role=role)}")
            return TargetState(ref, {}, tuple(notes))
    current = {facet.name: _read(api, ref, facet, notes) for facet in mine}
    return TargetState(ref, current, tuple(notes))


def _read(api: GitLabApi, ref: TargetRef, facet: Facet[Any], notes: list[str]) -> Any:
    return read_part(notes, facet.name, lambda: facet.read_current(api, ref, notes))
