"""The project attributes of REFERENCE 2.1 as one table: type, default, create/update asymmetry and
who sees them. Create, update and rendering all read this table; which GitLab version has an attribute
(or one of its values) is provisioner.gitlab_versions' row `rest:Project.<name>` (`=<value>`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.gitlab_versions import available
from provisioner.sandbox.http import ApiError, Params, validation
from provisioner.sandbox.versions import served

LEVELS = ("disabled", "private", "enabled")
ONE_MONTH = 2_629_746  # ActiveSupport's 1.month in seconds


@dataclass(frozen=True)
class Attr:
    name: str
    default: Any
    kind: str  # bool, int, str, enum, list
    choices: tuple[str, ...] = ()
    create: bool = True
    update: bool = True
    visible: str = "all"  # all | read_code | admin (admin_project: Maintainer or above)
    # Instance administrators only: GitLab drops it from anyone else's update without an error
    # (Projects::UpdateService#remove_unallowed_params [G:app/services/projects/update_service.rb]).
    admin_only: bool = False


def _level(name: str, default: str = "enabled", choices: tuple[str, ...] = LEVELS) -> Attr:
    return Attr(name, default, "enum", choices)


ATTRS: tuple[Attr, ...] = (
    Attr("ci_config_path", None, "str", visible="read_code"),
    Attr("build_timeout", 3600, "int", visible="admin"),
    Attr("auto_cancel_pending_pipelines", "enabled", "enum", ("enabled", "disabled"), visible="admin"),
    Attr("build_git_strategy", "fetch", "enum", ("fetch", "clone"), visible="admin"),
    Attr("shared_runners_enabled", True, "bool"),
    Attr("group_runners_enabled", True, "bool", visible="admin"),
    Attr("public_jobs", True, "bool"),
    Attr("ci_default_git_depth", 20, "int", create=False, visible="admin"),
    Attr("keep_latest_artifact", True, "bool", create=False, visible="admin"),
    Attr("ci_forward_deployment_enabled", True, "bool", create=False, visible="admin"),
    Attr("ci_forward_deployment_rollback_allowed", True, "bool", create=False, visible="admin"),
    Attr("ci_separated_caches", True, "bool", create=False, visible="admin"),
    Attr("ci_allow_fork_pipelines_to_run_in_parent_project", True, "bool", create=False, visible="admin"),
    # Guessed default: new projects since 17.7 get no_one_allowed (and restrict_user_defined_variables).
    Attr(
        "ci_pipeline_variables_minimum_override_role",
        "no_one_allowed",
        "enum",
        ("no_one_allowed", "developer", "maintainer", "owner"),
        create=False,
        visible="admin",
    ),
    Attr("restrict_user_defined_variables", True, "bool", create=False, visible="admin"),
    Attr("ci_push_repository_for_job_token_allowed", False, "bool", create=False, visible="admin"),
    Attr(
        "ci_id_token_sub_claim_components",
        ["project_path", "ref_type", "ref"],
        "list",
        create=False,
        visible="admin",
    ),
    Attr("ci_delete_pipelines_in_seconds", None, "int", create=False, visible="admin"),
    Attr("max_artifacts_size", None, "int", create=False, visible="admin", admin_only=True),
    _level("container_registry_access_level"),
    _level("package_registry_access_level", choices=(*LEVELS, "public")),
    Attr("only_allow_merge_if_pipeline_succeeds", False, "bool"),
    Attr("allow_merge_on_skipped_pipeline", False, "bool"),
    Attr("only_allow_merge_if_all_discussions_are_resolved", False, "bool"),
    Attr("remove_source_branch_after_merge", True, "bool"),
    Attr("merge_method", "merge", "enum", ("merge", "rebase_merge", "ff")),
    Attr("squash_option", "default_off", "enum", ("never", "always", "default_on", "default_off")),
    Attr("lfs_enabled", True, "bool"),
    Attr("request_access_enabled", True, "bool"),
    Attr("resolve_outdated_diff_discussions", False, "bool"),
    Attr("printing_merge_request_link_enabled", True, "bool"),
    Attr("merge_commit_template", None, "str"),
    Attr("squash_commit_template", None, "str"),
    Attr("issues_access_level", "enabled", "enum", LEVELS),
    Attr("repository_access_level", "enabled", "enum", LEVELS),
    Attr("merge_requests_access_level", "enabled", "enum", LEVELS),
    Attr("forking_access_level", "enabled", "enum", LEVELS),
    Attr("wiki_access_level", "enabled", "enum", LEVELS),
    Attr("builds_access_level", "enabled", "enum", LEVELS),
    Attr("snippets_access_level", "enabled", "enum", LEVELS),
    Attr("pages_access_level", "private", "enum", (*LEVELS, "public")),
    Attr("analytics_access_level", "enabled", "enum", LEVELS),
    Attr("security_and_compliance_access_level", "private", "enum", LEVELS),
    Attr("releases_access_level", "enabled", "enum", LEVELS),
    Attr("environments_access_level", "enabled", "enum", LEVELS),
    Attr("feature_flags_access_level", "enabled", "enum", LEVELS),
    Attr("infrastructure_access_level", "enabled", "enum", LEVELS),
    Attr("monitor_access_level", "enabled", "enum", LEVELS),
    Attr("model_experiments_access_level", "enabled", "enum", LEVELS),
    Attr("model_registry_access_level", "enabled", "enum", LEVELS),
)
BY_NAME = {a.name: a for a in ATTRS}

# Other parameters that POST and PUT accept besides the table.
PLAIN_CREATE = ("description", "visibility", "topics", "tag_list", "default_branch")
PLAIN_UPDATE = ("name", "path", "description", "visibility", "topics", "tag_list", "default_branch")
DEPRECATED_INPUTS = ("container_registry_enabled", "packages_enabled", "public_builds")
POLICY_INPUT = "container_expiration_policy_attributes"

POLICY_DEFAULT: dict[str, Any] = {
    "cadence": "1d",
    "enabled": False,
    "keep_n": 10,
    "older_than": "90d",
    "name_regex": ".*",
    "name_regex_keep": None,
}
# ContainerExpirationPolicy.{cadence,keep_n,older_than}_options (there is no 60d)
# [G:app/models/container_expiration_policy.rb]; REFERENCE 2.1 listed them from memory.
POLICY_CHOICES: dict[str, tuple[Any, ...]] = {
    "cadence": ("1d", "7d", "14d", "1month", "3month"),
    "keep_n": (1, 5, 10, 25, 50, 100),
    "older_than": ("7d", "14d", "30d", "90d"),
}


def known(attr: Attr, version: str) -> bool:
    """Whether the served GitLab has the attribute (an unknown one is dropped from writes and reads)."""
    return available(f"rest:Project.{attr.name}", served(version))


def choices(attr: Attr, version: str) -> tuple[str, ...]:
    """The values of an enum that the served GitLab accepts (a newer value: `does not have a valid value`)."""
    return tuple(c for c in attr.choices if available(f"rest:Project.{attr.name}={c}", served(version)))


def update_param_names(version: str) -> list[str]:
    names = [a.name for a in ATTRS if a.update and known(a, version)]
    return [*PLAIN_UPDATE, *names, *DEPRECATED_INPUTS, POLICY_INPUT]


def read_settings(params: Params, *, creating: bool, version: str, by_admin: bool) -> dict[str, Any]:
    """The table's attributes present in the request, coerced; ✗-on-create ones are ignored on POST,
    administrator-only ones when the caller is not an administrator."""
    values: dict[str, Any] = {}
    for attr in ATTRS:
        if (
            not known(attr, version)
            or not (attr.create if creating else attr.update)
            or (attr.admin_only and not by_admin)
            or attr.name not in params
        ):
            continue
        if attr.kind == "bool":
            values[attr.name] = params.bool(attr.name)
        elif attr.kind == "int":
            values[attr.name] = params.int(attr.name)
        elif attr.kind == "enum":
            values[attr.name] = params.enum(attr.name, choices(attr, version))
        elif attr.kind == "list":
            values[attr.name] = params.list(attr.name)
        else:
            values[attr.name] = params.str(attr.name)
    # Deprecated booleans map onto the access levels unless the level itself is sent.
    if "container_registry_enabled" in params and "container_registry_access_level" not in values:
        values["container_registry_access_level"] = (
            "enabled" if params.bool("container_registry_enabled") else "disabled"
        )
    if "packages_enabled" in params and "package_registry_access_level" not in values:
        values["package_registry_access_level"] = "enabled" if params.bool("packages_enabled") else "disabled"
    if "public_builds" in params and "public_jobs" not in values:
        values["public_jobs"] = params.bool("public_builds")
    _validate(values)
    return values


def _validate(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    timeout = values.get("build_timeout")
    if timeout is not None and not 600 <= timeout < ONE_MONTH:
        errors["build_timeout"] = ["needs to be between 10 minutes and 1 month"]
    depth = values.get("ci_default_git_depth")
    if depth is not None and not 0 <= depth <= 1000:
        # Rails numericality wording (guessed for this attribute).
        bound = "greater than or equal to 0" if depth < 0 else "less than or equal to 1000"
        errors["ci_default_git_depth"] = [f"must be {bound}"]
    if errors:
        raise validation(errors)


def read_policy(params: Params, current: Mapping[str, Any]) -> dict[str, Any] | None:
    """`container_expiration_policy_attributes` merged onto the current policy, validated."""
    raw = params.hash(POLICY_INPUT)
    if raw is None:
        return None
    sub = Params(raw)
    policy = dict(current)
    if "enabled" in sub:
        policy["enabled"] = sub.bool("enabled")
    if "keep_n" in sub:
        policy["keep_n"] = sub.int("keep_n")
    for key in ("cadence", "older_than", "name_regex_keep"):
        if key in sub:
            policy[key] = sub.str(key)
    for key in ("name_regex", "name_regex_delete"):
        if key in sub:
            policy["name_regex"] = sub.str(key)
    errors = {
        f"container_expiration_policy.{key}": ["is not included in the list"]
        for key, allowed in POLICY_CHOICES.items()
        if policy.get(key) is not None and policy[key] not in allowed
    }
    if errors:
        raise ApiError(400, {"message": errors})
    return policy


def render_policy(policy: Mapping[str, Any], next_run_at: str | None) -> dict[str, Any]:
    return {
        "cadence": policy["cadence"],
        "enabled": policy["enabled"],
        "keep_n": policy["keep_n"],
        "older_than": policy["older_than"],
        "name_regex": policy["name_regex"],
        "name_regex_keep": policy["name_regex_keep"],
        "next_run_at": next_run_at if policy["enabled"] else None,
        "name_regex_delete": policy["name_regex"],
    }


def default_settings() -> dict[str, Any]:
    return {a.name: (list(a.default) if isinstance(a.default, list) else a.default) for a in ATTRS}
