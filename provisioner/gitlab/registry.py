"""Registry settings (REFERENCE 2.1, 2.6, 2.7): access levels, the cleanup policy, protection rules.

The quirks live here so that the facet compares plain values:
- the cleanup policy is written as `container_expiration_policy_attributes` with `name_regex`, and
  read back as `container_expiration_policy` with `name_regex_delete` (and the deprecated
  `name_regex`) plus `next_run_at` [G:lib/api/helpers/projects_helpers.rb]. Both sides are turned
  into one shape, or every run would write the policy again;
- `package_registry_access_level` exists from GitLab 17.10 on (`provisioner.gitlab_versions`); older
  servers only have the boolean `packages_enabled`;
- a package rule's level is unset with null, a container rule's with "" (REFERENCE 2.6).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.errors import NotFound, Rejected
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import post_once
from provisioner.gitlab_versions import available

PACKAGE_LEVEL = "package_registry_access_level"
PACKAGES_ENABLED = "packages_enabled"
PACKAGE_LEVEL_FEATURE = f"rest:Project.{PACKAGE_LEVEL}"
CLEANUP_READ = "container_expiration_policy"
CLEANUP_WRITE = "container_expiration_policy_attributes"
CLEANUP_FIELDS = ("enabled", "cadence", "keep_n", "older_than", "name_regex", "name_regex_keep")


def package_level_key(api: GitLabApi, attributes: Mapping[str, Any]) -> str:
    """Which attribute carries the package registry setting on this server."""
    if PACKAGE_LEVEL in attributes:
        return PACKAGE_LEVEL
    return PACKAGE_LEVEL if available(PACKAGE_LEVEL_FEATURE, api.server()) else PACKAGES_ENABLED


def read_cleanup_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """`container_expiration_policy` as read, in the shape the inventory uses."""
    regex = policy.get("name_regex_delete")
    if regex is None:
        regex = policy.get("name_regex")
    read = {
        "enabled": bool(policy.get("enabled")),
        "cadence": policy.get("cadence"),
        "keep_n": policy.get("keep_n"),
        "older_than": policy.get("older_than"),
        "name_regex": regex,
        "name_regex_keep": policy.get("name_regex_keep"),
    }
    return {name: _blank_is_none(value) for name, value in read.items()}


def cleanup_policy_body(wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT /projects/:id body that writes `wanted` (inventory shape, managed fields only)."""
    return {CLEANUP_WRITE: {name: _blank_is_none(value) for name, value in wanted.items()}}


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


# -- protection rules ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageRule:
    id: int
    package_name_pattern: str
    package_type: str
    minimum_access_level_for_push: str | None = None
    minimum_access_level_for_delete: str | None = None  # absent before 17.11 (REFERENCE 2.7)

    @property
    def identity(self) -> tuple[str, str]:
        return (self.package_name_pattern, self.package_type)


@dataclass(frozen=True)
class ContainerRule:
    id: int
    repository_path_pattern: str
    minimum_access_level_for_push: str | None = None
    minimum_access_level_for_delete: str | None = None

    @property
    def identity(self) -> str:
        return self.repository_path_pattern


PACKAGE_RULES = "package_protection_rules"
CONTAINER_RULES = "container_protection_rules"


def _package_rule(r: Mapping[str, Any]) -> PackageRule:
    return PackageRule(
        id=int(r["id"]),
        package_name_pattern=str(r["package_name_pattern"]),
        package_type=str(r["package_type"]),
        minimum_access_level_for_push=r.get("minimum_access_level_for_push") or None,
        minimum_access_level_for_delete=r.get("minimum_access_level_for_delete") or None,
    )


def _container_rule(r: Mapping[str, Any]) -> ContainerRule:
    return ContainerRule(
        id=int(r["id"]),
        repository_path_pattern=str(r["repository_path_pattern"]),
        minimum_access_level_for_push=r.get("minimum_access_level_for_push") or None,
        minimum_access_level_for_delete=r.get("minimum_access_level_for_delete") or None,
    )


def package_rules(api: GitLabApi, project_id: int) -> list[PackageRule]:
    path = f"/projects/{project_id}/packages/protection/rules"
    return list(cache.read(api, project_id, PACKAGE_RULES, lambda: tuple(map(_package_rule, api.list(path)))))


def container_rules(api: GitLabApi, project_id: int) -> list[ContainerRule]:
    path = f"/projects/{project_id}/registry/protection/repository/rules"
    return list(
        cache.read(api, project_id, CONTAINER_RULES, lambda: tuple(map(_container_rule, api.list(path))))
    )


def create_package_rule(api: GitLabApi, project_id: int, rule: Mapping[str, Any]) -> None:
    identity = (rule["package_name_pattern"], rule["package_type"])
    answer = _create(
        api,
        f"/projects/{project_id}/packages/protection/rules",
        {k: v for k, v in rule.items() if v is not None},
        find=lambda: _fresh(api, project_id, PACKAGE_RULES, lambda: package_rules(api, project_id), identity),
    )
    _answered(api, project_id, PACKAGE_RULES, answer, _package_rule)


def update_package_rule(api: GitLabApi, project_id: int, rule_id: int, levels: Mapping[str, Any]) -> None:
    answer = api.patch(f"/projects/{project_id}/packages/protection/rules/{rule_id}", dict(levels))
    _answered(api, project_id, PACKAGE_RULES, answer, _package_rule)


def delete_package_rule(api: GitLabApi, project_id: int, rule_id: int) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/packages/protection/rules/{rule_id}")
    _gone(api, project_id, PACKAGE_RULES, rule_id)


def create_container_rule(api: GitLabApi, project_id: int, rule: Mapping[str, Any]) -> None:
    pattern = rule["repository_path_pattern"]
    answer = _create(
        api,
        f"/projects/{project_id}/registry/protection/repository/rules",
        {k: v for k, v in rule.items() if v is not None},
        find=lambda: _fresh(
            api, project_id, CONTAINER_RULES, lambda: container_rules(api, project_id), pattern
        ),
    )
    _answered(api, project_id, CONTAINER_RULES, answer, _container_rule)


def update_container_rule(api: GitLabApi, project_id: int, rule_id: int, levels: Mapping[str, Any]) -> None:
    body = {name: "" if value is None else value for name, value in levels.items()}
    answer = api.patch(f"/projects/{project_id}/registry/protection/repository/rules/{rule_id}", body)
    _answered(api, project_id, CONTAINER_RULES, answer, _container_rule)


def delete_container_rule(api: GitLabApi, project_id: int, rule_id: int) -> None:
    with contextlib.suppress(NotFound):
        api.delete(f"/projects/{project_id}/registry/protection/repository/rules/{rule_id}")
    _gone(api, project_id, CONTAINER_RULES, rule_id)


def _create(api: GitLabApi, path: str, data: Mapping[str, Any], *, find: Any) -> Any:
    """A rule whose pattern (and package type) exists already -- made since the list was read, or by
    our own attempt whose answer was lost -- is refused with 422 "... has already been taken" (the
    uniqueness validations [G:app/models/packages/protection/rule.rb, app/models/container_registry/
    protection/rule.rb]; the message: errors.full_messages [G:app/services/packages/protection/
    create_rule_service.rb, lib/api/project_packages_protection_rules.rb]). Nothing is overwritten:
    None reads the rules again, and verification reports the levels found if they differ."""
    try:
        return post_once(api, path, data, find=find)
    except Rejected as exc:
        if exc.status != 422 or "has already been taken" not in exc.message:
            raise
        return None


def _answered(api: GitLabApi, project_id: int, what: str, answer: Any, record: Any) -> None:
    """A create or update answers the rule as the list shows it: it replaces the kept one. A rule
    found after a lost answer is already kept as read."""
    if isinstance(answer, PackageRule | ContainerRule):
        return
    if not isinstance(answer, Mapping) or "id" not in answer:
        cache.unknown(api, project_id, what)
        return
    rule = record(answer)
    cache.answered(api, project_id, what, lambda kept: (*(r for r in kept if r.id != rule.id), rule))


def _gone(api: GitLabApi, project_id: int, what: str, rule_id: int) -> None:
    cache.answered(api, project_id, what, lambda kept: tuple(r for r in kept if r.id != rule_id))


def _fresh(api: GitLabApi, project_id: int, what: str, read: Any, identity: Any) -> Any | None:
    cache.unknown(api, project_id, what)
    return next((r for r in read() if r.identity == identity), None)
