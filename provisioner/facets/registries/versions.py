"""What of the registry section only some GitLab versions have (rows of `provisioner.gitlab_versions`),
and the section as a server that lacks some of it can honour it.

- Protection rules: the package rules API answers 404 before 17.6 (naming its feature flag from 17.1),
  the container rules API before 17.8 [G:doc/api/project_packages_protection_rules.md,
  doc/api/container_repository_protection_rules.md]: nothing is read or written of them there.
- A package rule's `minimum_access_level_for_delete` is neither shown nor taken before 17.11: the rule
  is managed without it (else it would read as "did not stick" forever).
- `package_registry_access_level` (17.10): "enabled" and "disabled" are written as `packages_enabled`
  before, "private" and "public" cannot be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from provisioner import gitlab_versions
from provisioner.facets.base import Requirement
from provisioner.facets.registries.rules import package_rule_target
from provisioner.gitlab.registry import PACKAGE_LEVEL_FEATURE, PackageRule
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Registry
from provisioner.model import Change

PACKAGE_RULES = "rest:GET /projects/:id/packages/protection/rules"
CONTAINER_RULES = "rest:GET /projects/:id/registry/protection/repository/rules"
DELETE_LEVEL = "rest:PackageProtectionRule.minimum_access_level_for_delete"
GROUPS_ALLOWLIST = "rest:GET /projects/:id/job_token_scope/groups_allowlist"
FEATURES = (
    PACKAGE_LEVEL_FEATURE,
    f"{PACKAGE_LEVEL_FEATURE}=public",
    PACKAGE_RULES,
    DELETE_LEVEL,
    CONTAINER_RULES,
    GROUPS_ALLOWLIST,
)

LEVEL_KEY = "registry.package_registry_access_level"
PACKAGE_RULES_KEY = "registry.package_protection_rules"
CONTAINER_RULES_KEY = "registry.container_protection_rules"
GROUPS_KEY = "registry.job_token_scope.groups"


def requirements(config: Registry) -> tuple[Requirement, ...]:
    found = []
    level = config.package_registry_access_level
    if level in ("private", "public"):  # "enabled" and "disabled": packages_enabled on older servers
        found.append(Requirement("registry access", LEVEL_KEY, PACKAGE_LEVEL_FEATURE))
        if f"{PACKAGE_LEVEL_FEATURE}={level}" in gitlab_versions.FEATURES:
            found.append(Requirement("registry access", LEVEL_KEY, f"{PACKAGE_LEVEL_FEATURE}={level}"))
    if config.package_protection_rules is not None:
        found.append(Requirement("package protection rules", PACKAGE_RULES_KEY, PACKAGE_RULES))
        for index, rule in enumerate(config.package_protection_rules):
            if rule.minimum_access_level_for_delete is not None:
                target = package_rule_target(rule.package_name_pattern, rule.package_type)
                key = f"{PACKAGE_RULES_KEY}[{index}].minimum_access_level_for_delete"
                found.append(Requirement(target, key, DELETE_LEVEL))
    if config.container_protection_rules is not None:
        found.append(Requirement("container protection rules", CONTAINER_RULES_KEY, CONTAINER_RULES))
    if config.job_token_scope is not None and config.job_token_scope.groups:
        found.append(Requirement("job token allowlist of groups", GROUPS_KEY, GROUPS_ALLOWLIST))
    return tuple(found)


def honourable(config: Registry, cannot: frozenset[str]) -> Registry:
    """`config` without what the server cannot honour (`cannot`: inventory keys): neither read,
    compared nor written."""
    if not cannot:
        return config
    update: dict[str, object] = {}
    if LEVEL_KEY in cannot:
        update["package_registry_access_level"] = None
    if PACKAGE_RULES_KEY in cannot:
        update["package_protection_rules"] = None
    elif config.package_protection_rules and any(k.startswith(f"{PACKAGE_RULES_KEY}[") for k in cannot):
        update["package_protection_rules"] = [
            rule.model_copy(update={"minimum_access_level_for_delete": None})
            for rule in config.package_protection_rules
        ]
    if CONTAINER_RULES_KEY in cannot:
        update["container_protection_rules"] = None
    if GROUPS_KEY in cannot and config.job_token_scope is not None:
        update["job_token_scope"] = config.job_token_scope.model_copy(update={"groups": []})
    return config.model_copy(update=update)


def comparable(rules: Sequence[PackageRule] | None, server: Version | None) -> tuple[PackageRule, ...] | None:
    """Package rules as REST shows them on this server: GraphQL shows a delete level from 17.10 that
    REST neither shows nor takes before 17.11."""
    if rules is None or server is None or gitlab_versions.available(DELETE_LEVEL, server):
        return None if rules is None else tuple(rules)
    return tuple(replace(rule, minimum_access_level_for_delete=None) for rule in rules)


def said_once(found: Sequence[Change], cannot: frozenset[str]) -> tuple[Change, ...]:
    """Without what a larger finding says already: no rule's delete level where there are no rules."""
    if PACKAGE_RULES_KEY not in cannot:
        return tuple(found)
    return tuple(
        c for c in found if not str((c.after or {}).get("inventory", "")).startswith(f"{PACKAGE_RULES_KEY}[")
    )
