"""`import` of the registry facet: what a project's registries are, in the inventory's words.

Access levels and the cleanup policy come from the project entity; the job token scope, deploy
tokens and protection rules are read part by part, so that a part GitLab refuses (or lacks) is left
out with a note while the rest is written. A list is complete in the inventory (rules not listed are
removed): one that cannot be written whole is left out whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner.facets.base import Description
from provisioner.facets.describing import first_error, fits, read_part
from provisioner.gitlab import deploy_tokens, job_tokens
from provisioner.gitlab import registry as api_registry
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.deploy_tokens import DeployTokenRecord
from provisioner.gitlab.registry import (
    CLEANUP_READ,
    PACKAGE_LEVEL,
    PACKAGES_ENABLED,
    ContainerRule,
    PackageRule,
    read_cleanup_policy,
)
from provisioner.inventory.schema import (
    CleanupPolicy,
    ContainerProtectionRule,
    DeployToken,
    JobTokenScope,
    PackageProtectionRule,
    Registry,
)
from provisioner.model import ProjectRef


@dataclass(frozen=True)
class JobTokenState:
    inbound_enabled: bool
    projects: tuple[str, ...]  # allowlisted project paths, without the project itself
    groups: tuple[str, ...]


@dataclass(frozen=True)
class RegistryState:
    """None for a part: it could not be read (a note says why)."""

    package_key: str | None = None  # package_registry_access_level, or packages_enabled before 17.10
    job_token: JobTokenState | None = None
    deploy_tokens: tuple[DeployTokenRecord, ...] | None = None
    package_rules: tuple[PackageRule, ...] | None = None
    container_rules: tuple[ContainerRule, ...] | None = None


def read_registry(api: GitLabApi, ref: ProjectRef, notes: list[str]) -> RegistryState:
    pid = ref.id
    return RegistryState(
        package_key=read_part(
            notes, "package registry", lambda: api_registry.package_level_key(api, ref.attributes)
        ),
        job_token=read_part(notes, "job token scope", lambda: _job_token(api, pid)),
        deploy_tokens=_tuple(
            read_part(notes, "deploy tokens", lambda: deploy_tokens.active_tokens(api, pid))
        ),
        package_rules=_tuple(
            read_part(notes, "package protection rules", lambda: api_registry.package_rules(api, pid))
        ),
        container_rules=_tuple(
            read_part(notes, "container protection rules", lambda: api_registry.container_rules(api, pid))
        ),
    )


def _job_token(api: GitLabApi, project_id: int) -> JobTokenState:
    return JobTokenState(
        job_tokens.inbound_enabled(api, project_id),
        tuple(sorted(e.path for e in job_tokens.allowed_projects(api, project_id))),
        tuple(sorted(e.path for e in job_tokens.allowed_groups(api, project_id))),
    )


def _tuple(found: Sequence[Any] | None) -> tuple[Any, ...] | None:
    return None if found is None else tuple(found)


def describe_registry(ref: ProjectRef, state: RegistryState | None) -> Description:
    state = state or RegistryState()
    out = Description()
    notes = out.notes
    attributes = ref.attributes
    parts: dict[str, Any] = {}
    level = attributes.get("container_registry_access_level")
    if level is not None and fits(Registry, {"container_registry_access_level": level}, "registry", notes):
        parts["container_registry_access_level"] = level
    package = _package_level(attributes, state.package_key)
    if package is not None and fits(Registry, {"package_registry_access_level": package}, "registry", notes):
        parts["package_registry_access_level"] = package
    policy = attributes.get(CLEANUP_READ)
    if isinstance(policy, Mapping):
        read = {k: v for k, v in read_cleanup_policy(policy).items() if v is not None}
        if "cadence" in read and fits(CleanupPolicy, read, "registry.cleanup_policy", notes):
            parts["cleanup_policy"] = CleanupPolicy(**read)
    if state.job_token is not None:
        token = state.job_token
        parts["job_token_scope"] = JobTokenScope(
            enabled=token.inbound_enabled, projects=list(token.projects), groups=list(token.groups)
        )
    parts.update(_lists(state, notes))
    config = Registry(**parts)
    entry = config.model_dump(mode="json", exclude_defaults=True, exclude={"cleanup_policy"})
    if config.cleanup_policy is not None:  # all fields: an empty policy would mean the defaults
        entry["cleanup_policy"] = config.cleanup_policy.model_dump(mode="json", exclude_none=True)
        entry = {name: entry[name] for name in Registry.model_fields if name in entry}
    if entry:
        out.entry["registry"] = entry
    return out


def _package_level(attributes: Mapping[str, Any], package_key: str | None) -> str | None:
    value = attributes.get(package_key or "")
    if package_key == PACKAGE_LEVEL:
        return str(value) if value is not None else None
    if package_key == PACKAGES_ENABLED and value is not None:
        return "enabled" if value else "disabled"
    return None


def _lists(state: RegistryState, notes: list[str]) -> dict[str, Any]:
    """Deploy tokens and protection rules, only where there are some."""
    parts: dict[str, Any] = {}
    newest: dict[str, Any] = {}
    for token in sorted(state.deploy_tokens or (), key=lambda t: t.id):
        if token.name in newest:
            notes.append(
                f'registry.deploy_tokens: several active tokens are named "{token.name}"; the newest '
                f"(#{token.id}) is managed, plan reports the others"
            )
        newest[token.name] = token  # the facet manages the newest of several with one name
    tokens = [
        {"name": t.name, "scopes": list(t.scopes), "expires_at": t.expires_at, "username": t.username}
        for t in newest.values()
    ]
    rules: dict[str, tuple[type[BaseModel], list[dict[str, Any]]]] = {
        "deploy_tokens": (DeployToken, tokens),
        "package_protection_rules": (
            PackageProtectionRule,
            [_rule_fields(r, "package_name_pattern", "package_type") for r in state.package_rules or ()],
        ),
        "container_protection_rules": (
            ContainerProtectionRule,
            [_rule_fields(r, "repository_path_pattern") for r in state.container_rules or ()],
        ),
    }
    for name, (model, items) in rules.items():
        if not items:
            continue
        try:
            parts[name] = [model.model_validate(item) for item in items]
        except ValidationError as exc:
            notes.append(f"registry.{name}: cannot be expressed ({first_error(exc)}); left unmanaged")
    return parts


def _rule_fields(rule: Any, *identity: str) -> dict[str, Any]:
    names = (*identity, "minimum_access_level_for_push", "minimum_access_level_for_delete")
    return {name: getattr(rule, name) for name in names}
