"""Who may reach the registries: access levels, the cleanup policy, the CI job token scope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.errors import ProvisionerError, Unobservable
from provisioner.facets.base import TargetAttributes
from provisioner.gitlab import job_tokens
from provisioner.gitlab import registry as api_registry
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.job_tokens import ENFORCE, AllowlistEntry
from provisioner.gitlab.registry import CLEANUP_READ, PACKAGE_LEVEL, PACKAGE_LEVEL_FEATURE, PACKAGES_ENABLED
from provisioner.gitlab_versions import since
from provisioner.inventory.schema import JobTokenScope, Registry
from provisioner.model import Action, Change, ProjectRef

CONTAINER_LEVEL = "container_registry_access_level"
CLEANUP = "cleanup_policy"


class UnknownReference(ProvisionerError):
    """The inventory names a project or group that does not exist (or this token cannot see)."""


class CannotExpress(ProvisionerError):
    """This GitLab has no way to store what the inventory asks for."""


@dataclass(frozen=True)
class ObservedJobToken:
    inbound_enabled: bool | None  # None: the inventory does not manage it
    enforced_by_instance: bool = False  # on because the instance enforces every project's allowlist
    projects: tuple[AllowlistEntry, ...] = ()
    groups: tuple[AllowlistEntry, ...] = ()
    project_ids: Mapping[str, int | None] | None = None  # inventory path -> id (None: not found)
    group_ids: Mapping[str, int | None] | None = None
    project_id: int = 0


@dataclass(frozen=True)
class _Scope:
    enabled: bool


@dataclass(frozen=True)
class _Allow:
    kind: str  # "project" | "group"
    target_id: int
    add: bool


# -- project attributes --------------------------------------------------------------------------
def observe_attributes(
    api: GitLabApi, project: ProjectRef, config: Registry
) -> tuple[dict[str, Any], str | None]:
    entity = project.attributes
    observed: dict[str, Any] = {}
    package_key = None
    if config.container_registry_access_level is not None:
        observed[CONTAINER_LEVEL] = _known(entity, CONTAINER_LEVEL)
    if config.package_registry_access_level is not None:
        package_key = api_registry.package_level_key(api, entity)
        observed[package_key] = _known(entity, package_key)
    if config.cleanup_policy is not None:
        policy = _known(entity, CLEANUP_READ)
        observed[CLEANUP] = api_registry.read_cleanup_policy(policy or {})
    return observed, package_key


def _known(entity: Mapping[str, Any], name: str) -> Any:
    if name not in entity:
        raise Unobservable(f"cannot read {name}: GitLab did not show it (check the token's role)")
    return entity[name]


def diff_attributes(
    facet: str, config: Registry, observed: Mapping[str, Any], package_key: str | None
) -> list[Change]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    container = config.container_registry_access_level
    if container is not None and observed[CONTAINER_LEVEL] != container:
        before[CONTAINER_LEVEL], after[CONTAINER_LEVEL] = observed[CONTAINER_LEVEL], container
    want = config.package_registry_access_level
    if want is not None and package_key == PACKAGE_LEVEL and observed[PACKAGE_LEVEL] != want:
        before[PACKAGE_LEVEL], after[PACKAGE_LEVEL] = observed[PACKAGE_LEVEL], want
    elif want is not None and package_key == PACKAGES_ENABLED:
        if want not in ("enabled", "disabled"):
            raise CannotExpress(
                f'package_registry_access_level "{want}" needs GitLab {since(PACKAGE_LEVEL_FEATURE)} or '
                'later; this server has only packages_enabled, so only "enabled" and "disabled" can be set'
            )
        if bool(observed[PACKAGES_ENABLED]) != (want == "enabled"):
            before[PACKAGES_ENABLED], after[PACKAGES_ENABLED] = (
                bool(observed[PACKAGES_ENABLED]),
                want == "enabled",
            )
    changes = []
    if after:
        changes.append(
            Change(
                facet, "registry access", Action.UPDATE, before, after, payload=TargetAttributes(dict(after))
            )
        )
    if config.cleanup_policy is not None:
        # Only what the inventory writes: the schema's defaults are no wish (a team's cadence stays).
        policy = config.cleanup_policy
        wanted = {
            k: v for k, v in policy.model_dump().items() if k in policy.model_fields_set and v is not None
        }
        changes += _cleanup_changes(facet, wanted, observed[CLEANUP])
    return changes


def _cleanup_changes(facet: str, wanted: Mapping[str, Any], have: Mapping[str, Any]) -> list[Change]:
    differing = [name for name in wanted if have.get(name) != wanted[name]]
    if not differing:
        return []
    return [
        Change(
            facet,
            "container cleanup policy",
            Action.UPDATE,
            before={name: have.get(name) for name in differing},
            after={name: wanted[name] for name in differing},
            payload=TargetAttributes(api_registry.cleanup_policy_body(wanted)),
        )
    ]


# -- job token scope -----------------------------------------------------------------------------
def observe_job_token(
    api: GitLabApi, project: ProjectRef, config: JobTokenScope | None
) -> ObservedJobToken | None:
    if config is None:
        return None
    project_id = project.id
    scope = None if config.enabled is None else job_tokens.inbound_scope(api, project, wanted=config.enabled)
    allowlists = bool(config.projects or config.groups or config.prune)
    return ObservedJobToken(
        inbound_enabled=None if scope is None else scope.enabled,
        enforced_by_instance=scope is not None and scope.by_instance,
        projects=tuple(job_tokens.allowed_projects(api, project_id)) if allowlists else (),
        groups=tuple(job_tokens.allowed_groups(api, project_id)) if allowlists else (),
        project_ids={path: job_tokens.project_id_of(api, path) for path in config.projects},
        group_ids={path: job_tokens.group_id_of(api, path) for path in config.groups},
        project_id=project_id,
    )


def diff_job_token(facet: str, config: JobTokenScope, observed: ObservedJobToken) -> list[Change]:
    missing = [f"project {p}" for p, i in (observed.project_ids or {}).items() if i is None]
    missing += [f"group {g}" for g, i in (observed.group_ids or {}).items() if i is None]
    if missing:
        raise UnknownReference(
            f"job token allowlist: {', '.join(missing)} not found (or not visible to this token)"
        )
    changes: list[Change] = []
    if config.enabled is False and observed.inbound_enabled and observed.enforced_by_instance:
        changes.append(enforced(facet))
    elif config.enabled is not None and observed.inbound_enabled != config.enabled:
        changes.append(
            Change(
                facet,
                "job token scope",
                Action.UPDATE,
                before={"enabled": observed.inbound_enabled},
                after={"enabled": config.enabled},
                payload=_Scope(config.enabled),
            )
        )
    wanted_projects = {i: p for p, i in (observed.project_ids or {}).items() if i != observed.project_id}
    changes += _allowlist(facet, "project", wanted_projects, observed.projects, config.prune)
    wanted_groups = {i: g for g, i in (observed.group_ids or {}).items()}
    changes += _allowlist(facet, "group", wanted_groups, observed.groups, config.prune)
    return changes


def enforced(facet: str) -> Change:
    """The inventory turns the scope off and this GitLab enforces it for every project: said once per
    project and run, never written (GitLab would answer 204 and keep it on)."""
    return Change(
        facet,
        "job token scope",
        Action.UNSUPPORTED,
        before={"enabled": True},
        after={
            "needs": "an administrator to stop enforcing job token allowlists: enforced by this instance",
            "inventory": "registry.job_token_scope.enabled",
            "feature": ENFORCE,
        },
    )


def _allowlist(
    facet: str, kind: str, wanted: Mapping[Any, str], have: Sequence[AllowlistEntry], prune: bool
) -> list[Change]:
    listed = {e.id for e in have}
    changes = [
        Change(
            facet,
            f'job token allowlist {kind} "{path}"',
            Action.CREATE,
            payload=_Allow(kind, int(target), add=True),
        )
        for target, path in wanted.items()
        if target not in listed
    ]
    for entry in have:
        if entry.id in wanted:
            continue
        target = f'job token allowlist {kind} "{entry.path}"'
        if prune:
            changes.append(
                Change(
                    facet,
                    target,
                    Action.DELETE,
                    payload=_Allow(kind, entry.id, add=False),
                )
            )
        else:
            changes.append(Change(facet, target, Action.UNMANAGED))
    return changes


def apply_job_token(api: GitLabApi, project_id: int, change: Change) -> bool:
    """Apply `change` if it is about the job token scope; says whether it was."""
    plan = change.payload
    if isinstance(plan, _Scope):
        job_tokens.set_inbound(api, project_id, plan.enabled)
    elif isinstance(plan, _Allow):
        add = job_tokens.add_project if plan.kind == "project" else job_tokens.add_group
        remove = job_tokens.remove_project if plan.kind == "project" else job_tokens.remove_group
        (add if plan.add else remove)(api, project_id, plan.target_id)
    else:
        return isinstance(plan, TargetAttributes)
    return True
