"""The registries: access levels, the container cleanup policy, the job token scope, deploy tokens and
package and container protection rules."""

from __future__ import annotations

import re
import warnings
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from provisioner.inventory.schema.base import TokenStore, _Model, _no_duplicates, full_path_problem
from provisioner.inventory.schema.settings import AccessLevel, PackageRegistryAccessLevel

RuleAccessLevel = Literal["maintainer", "owner", "admin"]
PackageDeleteLevel = Literal["owner", "admin"]
"""GitLab's package rules know no `maintainer` for deletes: unset, deleting needs Maintainer anyway."""

# What RE2 (GitLab's UntrustedRegexp) has no syntax for, although Python's `re` has: lookaround,
# backreferences, atomic groups, conditionals, possessive quantifiers.
_NOT_RE2 = re.compile(r"\(\?(?:[=!]|<[=!]|>|\(|P=)|[*+?}]\+|\\[1-9]")
_RE2_ONLY = re.compile(r"\\[pP](?:\{[^}]*\}|[A-Za-z])|\\[zC]")  # RE2 classes and escapes `re` lacks


def _re2(pattern: str) -> str:
    """A pattern GitLab's `untrusted_regexp` validation accepts: ContainerExpirationPolicy validates
    name_regex and name_regex_keep so [G:app/models/container_expiration_policy.rb], compiling them
    with RE2 [G:app/validators/untrusted_regexp_validator.rb]. Without RE2 here, Python's `re` stands
    in, less what RE2 lacks: an approximation (a pattern both refuse is refused; a few RE2-only
    forms are let through to GitLab)."""
    unescaped = re.sub(r"\\.", "__", pattern)  # what follows a backslash is never syntax
    if _NOT_RE2.search(unescaped) or re.search(r"\\[1-9]", pattern):
        raise ValueError("not an RE2 regular expression (no lookaround, backreference or atomic group)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # POSIX classes ([[:alpha:]]) are RE2; `re` only warns
            re.compile(_RE2_ONLY.sub(".", pattern))
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc.msg} at position {exc.pos}") from None
    return pattern


UntrustedRegexp = Annotated[str, AfterValidator(_re2)]


def _project_path(path: str) -> str:
    problem = full_path_problem(path, project=True)
    if problem is not None:
        raise ValueError(problem)
    return path


def _group_path(path: str) -> str:
    problem = full_path_problem(path, project=False)
    if problem is not None:
        raise ValueError(problem)
    return path


def _iso_date(value: Any) -> Any:
    """A date as YAML writes it, or as text (JSON has no dates): YYYY-MM-DD, nothing else."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else value
        except ValueError:
            return value  # reported as "expected a date"
    return value


class CleanupPolicy(_Model):
    """Container registry cleanup policy (written as container_expiration_policy_attributes)."""

    enabled: bool = True
    cadence: Literal["1d", "7d", "14d", "1month", "3month"] = "1d"
    keep_n: Literal[1, 5, 10, 25, 50, 100] | None = None
    """Left out (like older_than and the regexes): not managed."""
    older_than: Literal["7d", "14d", "30d", "90d"] | None = None
    name_regex: UntrustedRegexp | None = None
    """Tags to delete, an RE2 regular expression (GitLab reads it back as name_regex_delete)."""
    name_regex_keep: UntrustedRegexp | None = None
    """Tags to keep whatever name_regex says, an RE2 regular expression."""


class JobTokenScope(_Model):
    """Which projects' CI job tokens may access this project."""

    enabled: bool | None = None
    """Limit inbound access to the allowlist."""
    projects: list[Annotated[str, AfterValidator(_project_path)]] = []
    """Allowlisted projects, by full path."""
    groups: list[Annotated[str, AfterValidator(_group_path)]] = []
    """Allowlisted groups, by full path."""
    prune: bool = False
    """Remove allowlist entries the inventory does not name."""


DeployTokenScope = Literal[
    "read_repository",
    "read_registry",
    "write_registry",
    "read_package_registry",
    "write_package_registry",
    "read_virtual_registry",
    "write_virtual_registry",
]


class DeployToken(_Model):
    """A project deploy token, identified by name. GitLab cannot update one; --rotate replaces it.

    Its token goes to the keyring (service `provisioner-deploy-token`, name `<project path>/<name>`)
    unless `token` names another place."""

    name: Annotated[str, Field(min_length=1)]
    scopes: Annotated[list[DeployTokenScope], Field(min_length=1)]
    """Compared as a set."""
    expires_at: Annotated[date, BeforeValidator(_iso_date)] | None = None
    """Left out: never expires when created, and not compared."""
    username: str | None = None
    """Left out: GitLab's default (gitlab+deploy-token-N), not compared."""
    token: TokenStore = TokenStore()


PackageType = Literal["conan", "generic", "helm", "maven", "npm", "nuget", "pypi"]


class PackageProtectionRule(_Model):
    """Identified by pattern and package type."""

    package_name_pattern: Annotated[str, Field(min_length=1, max_length=255)]
    package_type: PackageType
    minimum_access_level_for_push: RuleAccessLevel | None = "maintainer"
    minimum_access_level_for_delete: PackageDeleteLevel | None = None

    @model_validator(mode="after")
    def _some_level(self) -> PackageProtectionRule:
        if self.minimum_access_level_for_push is None and self.minimum_access_level_for_delete is None:
            raise ValueError("set minimum_access_level_for_push or minimum_access_level_for_delete")
        return self


class ContainerProtectionRule(_Model):
    """Identified by pattern."""

    repository_path_pattern: Annotated[str, Field(min_length=1)]
    minimum_access_level_for_push: RuleAccessLevel | None = "maintainer"
    minimum_access_level_for_delete: RuleAccessLevel | None = None

    @model_validator(mode="after")
    def _some_level(self) -> ContainerProtectionRule:
        if self.minimum_access_level_for_push is None and self.minimum_access_level_for_delete is None:
            raise ValueError("set minimum_access_level_for_push or minimum_access_level_for_delete")
        return self


class Registry(_Model):
    container_registry_access_level: AccessLevel | None = None
    package_registry_access_level: PackageRegistryAccessLevel | None = None
    """Falls back to packages_enabled on servers older than GitLab 17.10 ("private" and "public" need 17.10)."""
    cleanup_policy: CleanupPolicy | None = None
    job_token_scope: JobTokenScope | None = None
    deploy_tokens: list[DeployToken] | None = None
    package_protection_rules: list[PackageProtectionRule] | None = None
    """The complete list: rules not listed are removed."""
    container_protection_rules: list[ContainerProtectionRule] | None = None
    """The complete list: rules not listed are removed."""

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        _no_duplicates([t.name for t in self.deploy_tokens or ()], "deploy token")
        _no_duplicates(
            [(r.package_name_pattern, r.package_type) for r in self.package_protection_rules or ()],
            "package protection rule",
        )
        _no_duplicates(
            [r.repository_path_pattern for r in self.container_protection_rules or ()],
            "container protection rule",
        )
        return self
