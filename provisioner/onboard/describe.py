"""Pure: what a project is on GitLab, said in the inventory's words (one project's full entry).

Every section is built through the inventory's own schema models, so what comes out validates by
construction; a value the schema cannot express (or an area that could not be read) is left out,
which leaves it unmanaged, with a note saying so. Each part is written the way the facets compare it,
so that a plan right after an import is empty:
- blueprint: the one the files facet scaffolded, when naming it changes nothing (see `scaffolding`);
- settings: every known attribute GitLab shows, under its own name;
- variables: plain values kept; masked and hidden ones get `value_unmanaged: true` (their metadata
  is managed, their value never read into the file);
- runners: the toggles, and each assigned project runner by id;
- registry: access levels, cleanup policy, job token scope, deploy tokens, protection rules;
- protection: protected branches (the default branch as `default_branch`) and tags, by level name.
Mappings whose presence means something (a protected branch, a cleanup policy) are written with all
their fields, so that factoring shared fields out of them never changes what they mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner.facets.settings import normalise
from provisioner.gitlab.registry import CLEANUP_READ, PACKAGE_LEVEL, PACKAGES_ENABLED, read_cleanup_policy
from provisioner.gitlab.runners import PROJECT_TYPE
from provisioner.inventory.schema import (
    REF_ACCESS_LEVELS,
    BranchProtection,
    CleanupPolicy,
    ContainerProtectionRule,
    DeployToken,
    JobTokenScope,
    PackageProtectionRule,
    Protection,
    Registry,
    Runners,
    RunnerSelector,
    Settings,
    TagProtection,
)
from provisioner.onboard.estate import ProjectState
from provisioner.onboard.variables_entry import variables_entry

LEVEL_NAMES = {value: name for name, value in REF_ACCESS_LEVELS.items()}


@dataclass
class Described:
    """One project's entry (plain data in schema order) and what was left out of it."""

    entry: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    masked: dict[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict, repr=False)
    """Variable key -> (scope, value) of its masked entries, in memory only: which entries are equal
    decides whether they may be shared; never written, logged or shown."""


def describe_project(state: ProjectState) -> Described:
    out = Described(notes=list(state.notes))
    attributes = state.ref.attributes
    scaffolding = state.scaffolding
    sections: dict[str, Any] = {
        "blueprint": scaffolding.blueprint if scaffolding else None,
        "blueprint_vars": dict(scaffolding.variables) if scaffolding else None,
        "settings": _settings(attributes, out.notes),
        "variables": variables_entry(state.variables or (), out.notes, out.masked),
        "runners": _runners(state, out.notes),
        "registry": _registry(state, out.notes),
        "protection": _protection(state, out.notes),
    }
    out.entry = {name: value for name, value in sections.items() if value}
    return out


# -- settings ------------------------------------------------------------------------------------
def _settings(attributes: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        if name not in attributes:
            continue  # not shown to this token: unknown, so unmanaged
        value = normalise(name, attributes[name])  # as the settings facet compares it
        if value is None:
            continue
        if _fits(Settings, {name: value}, f"settings.{name}", notes):
            values[name] = value
    return Settings(**values).model_dump(mode="json", exclude_none=True)


# -- runners -------------------------------------------------------------------------------------
def _runners(state: ProjectState, notes: list[str]) -> dict[str, Any]:
    attributes = state.ref.attributes
    toggles = {name: attributes.get(name) for name in ("shared_runners_enabled", "group_runners_enabled")}
    assign = [RunnerSelector(id=r.id) for r in state.runners or () if r.runner_type == PROJECT_TYPE]
    config = Runners.model_validate(
        {**{k: bool(v) for k, v in toggles.items() if v is not None}, "assign": assign}
    )
    return config.model_dump(mode="json", exclude_defaults=True)


# -- registry ------------------------------------------------------------------------------------
def _registry(state: ProjectState, notes: list[str]) -> dict[str, Any]:
    attributes = state.ref.attributes
    parts: dict[str, Any] = {}
    level = attributes.get("container_registry_access_level")
    if level is not None and _fits(Registry, {"container_registry_access_level": level}, "registry", notes):
        parts["container_registry_access_level"] = level
    package = _package_level(state)
    if package is not None and _fits(Registry, {"package_registry_access_level": package}, "registry", notes):
        parts["package_registry_access_level"] = package
    policy = attributes.get(CLEANUP_READ)
    if isinstance(policy, Mapping):
        read = {k: v for k, v in read_cleanup_policy(policy).items() if v is not None}
        if "cadence" in read and _fits(CleanupPolicy, read, "registry.cleanup_policy", notes):
            parts["cleanup_policy"] = CleanupPolicy(**read)
    if state.job_token is not None:
        token = state.job_token
        parts["job_token_scope"] = JobTokenScope(
            enabled=token.inbound_enabled, projects=list(token.projects), groups=list(token.groups)
        )
    parts.update(_registry_lists(state, notes))
    config = Registry(**parts)
    out = config.model_dump(mode="json", exclude_defaults=True, exclude={"cleanup_policy"})
    if config.cleanup_policy is not None:  # all fields: an empty policy would mean the defaults
        out["cleanup_policy"] = config.cleanup_policy.model_dump(mode="json", exclude_none=True)
        out = {name: out[name] for name in Registry.model_fields if name in out}
    return out


def _package_level(state: ProjectState) -> str | None:
    value = state.ref.attributes.get(state.package_key or "")
    if state.package_key == PACKAGE_LEVEL:
        return str(value) if value is not None else None
    if state.package_key == PACKAGES_ENABLED and value is not None:
        return "enabled" if value else "disabled"
    return None


def _registry_lists(state: ProjectState, notes: list[str]) -> dict[str, Any]:
    """Deploy tokens and protection rules, only where there are some (a list is complete: one that
    cannot be written whole is left out whole, or applying it would delete the rest)."""
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
            notes.append(f"registry.{name}: cannot be expressed ({_first(exc)}); left unmanaged")
    return parts


def _rule_fields(rule: Any, *identity: str) -> dict[str, Any]:
    names = (*identity, "minimum_access_level_for_push", "minimum_access_level_for_delete")
    return {name: getattr(rule, name) for name in names}


# -- protection ----------------------------------------------------------------------------------
def _protection(state: ProjectState, notes: list[str]) -> dict[str, Any]:
    default_branch = state.ref.default_branch
    branches: dict[str, BranchProtection] = {}
    for rule in state.branches or ():
        push, merge = _level(rule.push), _level(rule.merge)
        if push is None or merge is None:
            notes.append(
                f'protection: branch "{rule.name}" has levels the inventory cannot express; unmanaged'
            )
            continue
        branches[rule.name] = BranchProtection(
            push_access_level=push, merge_access_level=merge, allow_force_push=rule.allow_force_push
        )
    tags: dict[str, TagProtection] = {}
    for tag in state.tags or ():
        create = _level(tag.create)
        if create is None:
            notes.append(f'protection: tag "{tag.name}" has levels the inventory cannot express; unmanaged')
            continue
        tags[tag.name] = TagProtection(create_access_level=create)
    default = branches.pop(default_branch, None) if default_branch else None
    config = Protection(default_branch=default, branches=branches, tags=tags)
    out: dict[str, Any] = {}
    if config.default_branch is not None:
        out["default_branch"] = _explicit(config.default_branch)
    if config.branches:
        out["branches"] = {name: _explicit(rule) for name, rule in sorted(config.branches.items())}
    if config.tags:
        out["tags"] = {name: _explicit(rule) for name, rule in sorted(config.tags.items())}
    return out


def _level(levels: frozenset[int]) -> Any:
    """One role level by name; None when there is none, several (Premium) or one without a name."""
    if len(levels) != 1:
        return None
    return LEVEL_NAMES.get(next(iter(levels)))


def _explicit(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


# -- helpers -------------------------------------------------------------------------------------
def _fits(model: type[BaseModel], data: Mapping[str, Any], where: str, notes: list[str]) -> bool:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in data.items())
        notes.append(
            f"{where}: GitLab has {shown}, which the inventory cannot express ({_first(exc)}); unmanaged"
        )
        return False
    return True


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return str(error.get("msg", "invalid"))
