"""Project settings: attributes written with `PUT /projects/:id`, checked offline against GitLab's
own limits, each cited where it comes from."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from provisioner.inventory.schema.base import _Model

# Project: `validates :description, length: { maximum: 2000 }`; `validates :max_artifacts_size,
# numericality: { only_integer: true, greater_than: 0 }`; build_timeout between 10 minutes and
# MAX_BUILD_TIMEOUT [G:app/models/project.rb].
ONE_MONTH_SECONDS = 2_629_746  # ActiveSupport's 1.month, GitLab's upper bound for build_timeout (exclusive)

AccessLevel = Literal["disabled", "private", "enabled"]
PagesAccessLevel = Literal["disabled", "private", "enabled", "public"]
PackageRegistryAccessLevel = Literal["disabled", "private", "enabled", "public"]

# ProjectCiCdSetting::ALLOWED_SUB_CLAIM_COMPONENTS [G:app/models/project_ci_cd_setting.rb].
SubClaimComponent = Literal["project_path", "ref_type", "ref"]


def _ci_config_path(path: str) -> str:
    # Project: `validates :ci_config_path, format: { without: %r{(\.{2}|\A/)} }, length: { maximum: 255 }`
    # [G:app/models/project.rb]
    if ".." in path or path.startswith("/"):
        raise ValueError("cannot start with '/' nor hold '..' (GitLab refuses both)")
    return path


def _project_path_first(components: list[str]) -> list[str]:
    if components[0] != "project_path":
        raise ValueError("project_path must come first (GitLab refuses any other first claim)")
    return components


class Settings(_Model):
    """Project attributes written with `PUT /projects/:id`, under GitLab's own names (REFERENCE 2.1)."""

    ci_config_path: Annotated[str, Field(max_length=255), AfterValidator(_ci_config_path)] | None = None
    """Path of the CI configuration; "" means `.gitlab-ci.yml`."""
    build_timeout: Annotated[int, Field(ge=600, lt=ONE_MONTH_SECONDS)] | None = None
    """Job timeout in seconds: at least 10 minutes, less than a month."""
    auto_cancel_pending_pipelines: Literal["enabled", "disabled"] | None = None
    """Cancel redundant pipelines ("enabled"/"disabled": a string, not a boolean)."""
    build_git_strategy: Literal["fetch", "clone"] | None = None
    ci_default_git_depth: Annotated[int, Field(ge=0, le=1000)] | None = None
    """Default shallow-clone depth (0 = full clone)."""
    keep_latest_artifact: bool | None = None
    ci_forward_deployment_enabled: bool | None = None
    ci_forward_deployment_rollback_allowed: bool | None = None
    ci_separated_caches: bool | None = None
    ci_allow_fork_pipelines_to_run_in_parent_project: bool | None = None
    ci_pipeline_variables_minimum_override_role: (
        Literal["no_one_allowed", "developer", "maintainer", "owner"] | None
    ) = None
    """The lowest role that may set variables when running a pipeline, applied only while
    restrict_user_defined_variables is true. GitLab refuses `owner` from a token below Owner."""
    restrict_user_defined_variables: bool | None = None
    """Whether ci_pipeline_variables_minimum_override_role is enforced: false lets anyone who may run
    a pipeline set its variables, whatever the role says. Deprecated in GitLab 17.7 in favour of the
    role, yet still read first (new projects get true): a project left at false ignores the role."""
    ci_push_repository_for_job_token_allowed: bool | None = None
    ci_id_token_sub_claim_components: (
        Annotated[list[SubClaimComponent], Field(min_length=1), AfterValidator(_project_path_first)] | None
    ) = None
    """The claims joined, in this order, into the `sub` claim of the project's CI/CD ID tokens (what
    cloud trust policies match); project_path comes first. GitLab's default: [project_path, ref_type,
    ref]."""
    ci_delete_pipelines_in_seconds: Annotated[int, Field(ge=0)] | None = None
    max_artifacts_size: Annotated[int, Field(gt=0)] | None = None
    """Megabytes per job artifact. Only a GitLab administrator can change it: for any other token
    GitLab drops it without an error, and apply reports that it did not stick."""
    public_jobs: bool | None = None
    only_allow_merge_if_pipeline_succeeds: bool | None = None
    allow_merge_on_skipped_pipeline: bool | None = None
    only_allow_merge_if_all_discussions_are_resolved: bool | None = None
    remove_source_branch_after_merge: bool | None = None
    merge_method: Literal["merge", "rebase_merge", "ff"] | None = None
    squash_option: Literal["never", "always", "default_on", "default_off"] | None = None
    visibility: Literal["private", "internal", "public"] | None = None
    default_branch: str | None = None
    """Must name an existing branch."""
    description: Annotated[str, Field(max_length=2000)] | None = None
    """At most 2,000 characters."""
    topics: list[str] | None = None
    issues_access_level: AccessLevel | None = None
    repository_access_level: AccessLevel | None = None
    merge_requests_access_level: AccessLevel | None = None
    forking_access_level: AccessLevel | None = None
    wiki_access_level: AccessLevel | None = None
    builds_access_level: AccessLevel | None = None
    snippets_access_level: AccessLevel | None = None
    pages_access_level: PagesAccessLevel | None = None
    analytics_access_level: AccessLevel | None = None
    security_and_compliance_access_level: AccessLevel | None = None
    releases_access_level: AccessLevel | None = None
    environments_access_level: AccessLevel | None = None
    feature_flags_access_level: AccessLevel | None = None
    infrastructure_access_level: AccessLevel | None = None
    monitor_access_level: AccessLevel | None = None
    model_experiments_access_level: AccessLevel | None = None
    model_registry_access_level: AccessLevel | None = None
