"""Read everything `import` reproduces, for every project under a group, once.

The reads are the engine's own (the area modules of `provisioner.gitlab`): the group's project
listing fills the run cache with the project entities, then each project's variables, runners, job
token scope, deploy tokens, protection rules, protected refs and blueprint lock file are read,
projects in parallel. An area that cannot be read (a 403, a server error) is left out for that
project with a note; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from provisioner.errors import NotFound, ProvisionerError
from provisioner.gitlab import (
    deploy_tokens,
    groups,
    job_tokens,
    permissions,
    projects,
    protection,
    registry,
    runners,
)
from provisioner.gitlab import variables as api_variables
from provisioner.gitlab.deploy_tokens import DeployTokenRecord
from provisioner.gitlab.groups import GroupRecord
from provisioner.gitlab.protection import BranchRule, TagRule
from provisioner.gitlab.registry import ContainerRule, PackageRule
from provisioner.gitlab.runners import RunnerRecord
from provisioner.gitlab.transport import GitLabApi
from provisioner.gitlab.variables import VariableRecord
from provisioner.model import ProjectRef
from provisioner.onboard.scaffolding import Scaffolding, read_scaffolding

T = TypeVar("T")
FAILED = "not read"
NEEDS_MAINTAINER = (
    "the token has the {role} role here; CI/CD settings, variables, runners, registry and protection "
    "need Maintainer, so they are left unmanaged"
)


@dataclass(frozen=True)
class JobTokenState:
    inbound_enabled: bool
    projects: tuple[str, ...]  # allowlisted project paths, without the project itself
    groups: tuple[str, ...]


@dataclass(frozen=True)
class ProjectState:
    """One project as GitLab has it. None for an area means it could not be read (see `notes`)."""

    ref: ProjectRef
    package_key: str | None = None  # package_registry_access_level, or packages_enabled before 18.5
    variables: tuple[VariableRecord, ...] | None = None
    runners: tuple[RunnerRecord, ...] | None = None
    job_token: JobTokenState | None = None
    deploy_tokens: tuple[DeployTokenRecord, ...] | None = None
    package_rules: tuple[PackageRule, ...] | None = None
    container_rules: tuple[ContainerRule, ...] | None = None
    branches: tuple[BranchRule, ...] | None = None
    tags: tuple[TagRule, ...] | None = None
    scaffolding: Scaffolding | None = None  # the blueprint, when naming it changes nothing
    notes: tuple[str, ...] = ()  # display-safe notes

    @property
    def incomplete(self) -> bool:
        """Something could not be read for a reason other than the feature missing on this GitLab."""
        return any(FAILED in note for note in self.notes)


@dataclass(frozen=True)
class GroupState:
    path: str
    variables: tuple[VariableRecord, ...] | None
    notes: tuple[str, ...] = ()

    @property
    def incomplete(self) -> bool:
        return any(FAILED in note for note in self.notes)


@dataclass(frozen=True)
class Estate:
    root: str
    groups: tuple[GroupState, ...]  # the root group and every group below it, by path
    projects: tuple[ProjectState, ...]  # by path


class GroupNotFound(ProvisionerError):
    """The group to import does not exist, or this token cannot see it."""


def read_estate(api: GitLabApi, group_path: str, *, concurrency: int = 8) -> Estate:
    root = groups.find(api, group_path)
    if root is None:
        raise GroupNotFound(f"group {group_path} not found, or not visible to this token")
    every_group = [root, *groups.descendants(api, root.id)]
    entities = groups.projects(api, root.id)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="import") as pool:
        group_states = list(pool.map(lambda g: _read_group(api, g), every_group))
        project_states = list(pool.map(lambda e: read_project(api, projects.to_ref(e)), entities))
    return Estate(
        root.full_path,
        tuple(sorted(group_states, key=lambda g: g.path)),
        tuple(sorted(project_states, key=lambda p: p.ref.path)),
    )


def _read_group(api: GitLabApi, group: GroupRecord) -> GroupState:
    notes: list[str] = []
    found = _read(notes, "group_variables", lambda: api_variables.list_variables(api, f"/groups/{group.id}"))
    return GroupState(group.full_path, _tuple(found), tuple(notes))


def read_project(api: GitLabApi, ref: ProjectRef) -> ProjectState:
    level = permissions.access_level(ref)
    if level is not None and level < permissions.MAINTAINER:
        # Every read below would be refused: say why once instead of eight times.
        role = permissions.ROLE_NAMES.get(level, f"access level {level}")
        return ProjectState(ref=ref, notes=(f"{FAILED}: {NEEDS_MAINTAINER.format(role=role)}",))
    notes: list[str] = []
    pid = ref.id
    package_key = _read(notes, "package registry", lambda: registry.package_level_key(api, ref.attributes))
    return ProjectState(
        ref=ref,
        package_key=package_key,
        variables=_tuple(
            _read(notes, "variables", lambda: api_variables.list_variables(api, f"/projects/{pid}"))
        ),
        runners=_tuple(_read(notes, "runners", lambda: runners.project_runners(api, pid))),
        job_token=_read(notes, "job token scope", lambda: _job_token(api, pid)),
        deploy_tokens=_tuple(_read(notes, "deploy tokens", lambda: deploy_tokens.active_tokens(api, pid))),
        package_rules=_tuple(
            _read(notes, "package protection rules", lambda: registry.package_rules(api, pid))
        ),
        container_rules=_tuple(
            _read(notes, "container protection rules", lambda: registry.container_rules(api, pid))
        ),
        branches=_tuple(_read(notes, "protected branches", lambda: protection.protected_branches(api, pid))),
        tags=_tuple(_read(notes, "protected tags", lambda: protection.protected_tags(api, pid))),
        scaffolding=_read(notes, "blueprint", lambda: read_scaffolding(api, ref, notes)),
        notes=tuple(notes),
    )


def _job_token(api: GitLabApi, project_id: int) -> JobTokenState:
    return JobTokenState(
        job_tokens.inbound_enabled(api, project_id),
        tuple(sorted(e.path for e in job_tokens.allowed_projects(api, project_id))),
        tuple(sorted(e.path for e in job_tokens.allowed_groups(api, project_id))),
    )


def _read(notes: list[str], what: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except NotFound:
        notes.append(f"{what}: not found (this GitLab may not have the feature); left unmanaged")
    except ProvisionerError as exc:
        notes.append(f"{what}: {FAILED} ({exc}); left unmanaged")
    return None


def _tuple(found: Sequence[Any] | None) -> tuple[Any, ...] | None:
    return None if found is None else tuple(found)
