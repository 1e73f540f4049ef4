"""What exists in which GitLab version and edition: one table, for the sandbox and the tool alike.

Plain data and the standard library only (the sandbox may import this module and nothing else of the
product). Each row names a feature the tool uses, the first version that has it by default, the edition
(`ce`: both editions; `ee`: the Enterprise Edition's code, Premium and up), and where that was read.
`[G:path]` is a file of gitlabhq/gitlabhq; a version marked "unverified" is the best reading found.

Feature names say what kind of thing they are:
- `rest:Entity.attribute` an attribute of a REST entity, read and written (`rest:Project.x`);
- `rest:Entity.attribute=value` one allowed value of it;
- `rest:METHOD /path` a REST endpoint (`rest:GET /projects/:id/packages/protection/rules`);
- `graphql:Type.field` a GraphQL field (one unknown field fails the whole query);
- `setting:name` an instance setting (`PUT /application/settings`);
- `behaviour:name` a behaviour a client must know about (a limit, a default).

A feature that a flag hid before it was on by default keeps the flag's name and first version in
`flag`/`flag_since`: between the two, GitLab answers as if the feature were missing (or says the flag
is off). Features later removed carry `until` (the first version without them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CE, EE = "ce", "ee"
SERVED = ("17.0", "17.4", "17.10", "18.0", "18.6")
"""The versions the sandbox serves (`sandbox serve --gitlab-version`): the oldest self-managed release
platform teams still run, each release that added a field the tool reads, and the newest."""

SUPPORTED = ((17, 0), (19, 0))
"""The releases the tool supports, from the first to before the second: 17.0 to 18.x, both editions."""

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+.]?(ee|ce|pre|rc\d*))?", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int = 0
    edition: str = EE

    @classmethod
    def parse(cls, text: str, edition: str | None = None) -> Version:
        """`18.6.1-ee`, `17.10`, `v18.0.0-pre`. GitLab's `/version` ends in `-ee` for the Enterprise Edition
        and has no suffix for the Community Edition [G:VERSION]: without `-ee` (or `edition`), `ce`."""
        found = _VERSION.match(text.strip())
        if found is None:
            raise ValueError(f"not a GitLab version: {text!r} (expected for example 18.6 or 18.6.1-ee)")
        major, minor, patch, suffix = found.groups()
        chosen = (edition or (EE if (suffix or "").lower() == "ee" else CE)).lower()
        if chosen not in (CE, EE):
            raise ValueError(f"edition must be ce or ee, not {edition!r}")
        return cls(int(major), int(minor), int(patch or 0), chosen)

    @property
    def release(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __str__(self) -> str:
        """As `GET /version` says it: `18.6.0-ee`, or `18.6.0` for the Community Edition."""
        return f"{self.major}.{self.minor}.{self.patch}" + ("-ee" if self.edition == EE else "")


@dataclass(frozen=True)
class Feature:
    name: str
    since: tuple[int, int, int]
    source: str
    edition: str = CE
    until: tuple[int, int, int] | None = None
    flag: str | None = None  # the feature flag that hid it before `since`
    flag_since: tuple[int, int, int] | None = None
    note: str = ""


def _v(text: str) -> tuple[int, int, int]:
    return Version.parse(text).release


def _f(name: str, since: str, source: str, **more: str) -> Feature:
    extra: dict[str, object] = dict(more)
    for key in ("until", "flag_since"):
        if key in extra:
            extra[key] = _v(str(extra[key]))
    return Feature(name, _v(since), source, **extra)  # type: ignore[arg-type]


_PROJECTS_MD = "[G:doc/api/projects.md]"
_VARIABLES_MD = (
    "[G:doc/api/project_level_variables.md] 'masked_and_hidden and hidden attributes introduced in 17.4'"
)
_PACKAGE_RULES_MD = "[G:doc/api/project_packages_protection_rules.md] 'introduced 17.1 with a flag, GA 17.6'"
_CONTAINER_RULES_MD = (
    "[G:doc/api/container_repository_protection_rules.md] 'introduced 17.2 with a flag, GA 17.8'"
)
_PACKAGE_DELETE = (
    "[G:doc/user/packages/package_registry/package_protection_rules.md] 'introduced in 17.10 with a flag "
    "named packages_protected_packages_delete' (default off on self-managed; the sandbox models it on)"
)
_JOB_TOKEN_MD = (
    "[G:doc/ci/jobs/ci_job_token.md] 'Adding groups to the job token allowlist introduced in 17.0'"
)
_ENFORCE = (
    "[G:doc/administration/settings/continuous_integration.md#enforce-job-token-allowlist] 'introduced in "
    "17.6'; column added by [G:db/migrate/*_add_instance_job_token_scope_enabled_to_app_settings.rb] (17.5, "
    "default false)"
)
_ENFORCE_DEFAULT = (
    "[G:db/migrate/*_change_ci_job_token_allowlist_setting_default.rb, *_enable_ci_job_token_allowlist_"
    "setting.rb] (milestone 18.0): default true, and every existing instance set to true on upgrade"
)
_PROTECTED_EE = (
    "[G:ee/lib/ee/api/helpers/protected_branches_helpers.rb] (optional_params_ee); present long before "
    "the served versions (first version not checked)"
)
_PROTECTED_ENVS = (
    "[G:doc/api/protected_environments.md] (Premium) 'introduced in 12.8'; PUT 'introduced in 15.4'; "
    "approval_rules (multiple approval rules) predate every served version"
)
_GROUP_ENVS = (
    "[G:doc/api/group_protected_environments.md] (Premium) 'introduced in 14.0 with a flag, generally "
    "available in 14.3'; PUT 'introduced in 15.4'"
)
_CATALOG = (
    "[G:doc/ci/components/_index.md] 'CI/CD Catalog: experiment in 16.1, beta in 16.7, generally available "
    "in 17.0'; catalogResourcesCreate is how it says to automate the catalog project setting (the fields "
    "existed as an experiment before 17.0; only the GA version is used)"
)
_APPROVALS_MD = "[G:doc/api/merge_request_approvals.md] (Premium)"
_APPROVALS_RB = "[G:ee/lib/api/project_approvals.rb] 'introduced in 10.6' (Premium)"
_PUSH_RULE_RB = (
    "[G:ee/lib/api/project_push_rule.rb], [G:doc/api/project_push_rules.md] (Premium; the first version is "
    "not checked, long before the served ones)"
)
_HOOKS_MD = "[G:doc/api/project_webhooks.md]"
_GROUP_HOOKS_MD = (
    "[G:doc/api/group_webhooks.md] (Premium; the first version is not checked, long before the served ones)"
)
_PLANNER = (
    "[G:lib/gitlab/access.rb] PLANNER = 15 in Gitlab::Access.options, hence all_values, which the member "
    "and share routes accept (`values:` or the model's inclusion); the role arrived in 17.7 (release post "
    "2024-12-19 'New Planner user role'; GraphQL enum value: gitlab-org/gitlab!170940, milestone 17.7)"
)
_PACKAGE_FLAG = {"flag": "packages_protected_packages", "flag_since": "17.1"}
_CONTAINER_FLAG = {"flag": "container_registry_protected_containers", "flag_since": "17.2"}

FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        # -- CI/CD variables --------------------------------------------------------------------
        _f("rest:Variable.description", "16.2", _VARIABLES_MD + "; description 'introduced in 16.2'"),
        _f("rest:Variable.hidden", "17.4", _VARIABLES_MD),
        _f("rest:Variable.masked_and_hidden", "17.4", _VARIABLES_MD),
        _f(
            "graphql:CiProjectVariable.hidden", "17.4", _VARIABLES_MD + "; same MR (gitlab-org/gitlab!141926)"
        ),
        # -- project attributes (PUT /projects/:id) -----------------------------------------------
        _f("rest:Project.model_registry_access_level", "16.7", _PROJECTS_MD + " 'introduced in 16.7'"),
        _f("rest:Project.ci_pipeline_variables_minimum_override_role", "17.1", _PROJECTS_MD + " 17.1"),
        _f("rest:Project.ci_push_repository_for_job_token_allowed", "17.2", _PROJECTS_MD + " 17.2"),
        _f(
            "rest:Project.ci_delete_pipelines_in_seconds",
            "17.9",
            "gitlab-org/gitlab#503153 (automatic pipeline cleanup, 17.9; unverified in GitLab's docs)",
        ),
        _f("rest:Project.ci_id_token_sub_claim_components", "17.10", _PROJECTS_MD + " 'introduced in 17.10'"),
        _f(
            "rest:Project.package_registry_access_level",
            "17.10",
            _PROJECTS_MD + " 'packages_enabled deprecated in 17.10, use package_registry_access_level' "
            "(gitlab-org/gitlab!170122); REFERENCE 2.1 said 18.5, no GitLab source found for that",
        ),
        _f(
            "rest:Project.package_registry_access_level=public",
            "17.10",
            "gitlab-org/gitlab!170122 (its values)",
        ),
        # -- job token scope ------------------------------------------------------------------------
        _f("rest:GET /projects/:id/job_token_scope/groups_allowlist", "17.0", _JOB_TOKEN_MD),
        _f("rest:POST /projects/:id/job_token_scope/groups_allowlist", "17.0", _JOB_TOKEN_MD),
        _f(
            "rest:DELETE /projects/:id/job_token_scope/groups_allowlist/:target_group_id",
            "17.0",
            _JOB_TOKEN_MD,
        ),
        _f("graphql:CiJobTokenScopeType.groupsAllowlist", "17.0", _JOB_TOKEN_MD + " (GraphQL: same release)"),
        _f("graphql:CiJobTokenScopeType.groupsAllowlistCount", "17.0", _JOB_TOKEN_MD + " (unverified)"),
        _f(
            "setting:enforce_ci_inbound_job_token_scope_enabled",
            "17.6",
            _ENFORCE,
            note="on by default from 18.0: no project's job token scope can then be turned off",
        ),
        _f("behaviour:job_token_allowlist_enforced_by_default", "18.0", _ENFORCE_DEFAULT),
        # -- registry protection rules -----------------------------------------------------------
        *(
            _f(
                f"rest:{m} /projects/:id/packages/protection/rules{tail}",
                "17.6",
                _PACKAGE_RULES_MD,
                **_PACKAGE_FLAG,
            )
            for m, tail in (("GET", ""), ("POST", ""), ("PATCH", "/:rule_id"), ("DELETE", "/:rule_id"))
        ),
        _f(
            "rest:PackageProtectionRule.minimum_access_level_for_delete",
            "17.11",
            "[G:doc/api/project_packages_protection_rules.md] 'added minimum_access_level_for_delete in 17.11 "
            "with a flag' (default off on self-managed; the sandbox models it on)",
        ),
        _f(
            "graphql:Project.packagesProtectionRules",
            "16.6",
            "[G:app/graphql/types/project_type.rb] experiment 16.6",
        ),
        _f("graphql:PackagesProtectionRule.minimumAccessLevelForDelete", "17.10", _PACKAGE_DELETE),
        *(
            _f(
                f"rest:{m} /projects/:id/registry/protection/repository/rules{tail}",
                "17.8",
                _CONTAINER_RULES_MD,
                **_CONTAINER_FLAG,
            )
            for m, tail in (("GET", ""), ("POST", ""), ("PATCH", "/:rule_id"), ("DELETE", "/:rule_id"))
        ),
        _f(
            "graphql:Project.containerProtectionRepositoryRules",
            "16.10",
            "[G:app/graphql/types/project_type.rb] experiment 16.10",
        ),
        # -- members and shares (access level 15, Planner) ------------------------------------------
        _f("rest:Member.access_level=planner", "17.7", _PLANNER),
        _f("rest:GroupLink.group_access=planner", "17.7", _PLANNER + " (project and group shares alike)"),
        # -- runners ---------------------------------------------------------------------------------
        _f(
            "rest:POST /user/runners",
            "16.0",
            "[G:doc/ci/runners/new_creation_workflow.md] (runner creation workflow on by default in 16.0; "
            "unverified)",
        ),
        # -- protected branches: Premium parameters and fields -----------------------------------
        _f("rest:ProtectedBranch.unprotect_access_levels", "12.0", _PROTECTED_EE, edition=EE),
        _f("rest:ProtectedBranch.code_owner_approval_required", "12.0", _PROTECTED_EE, edition=EE),
        _f("rest:ProtectedBranch.allowed_to_push", "12.0", _PROTECTED_EE, edition=EE),
        # -- Premium areas the tool may manage later ---------------------------------------------
        # -- protected environments (Premium; routes of ee/lib/api/protected_environments.rb) ----------
        *(
            _f(f"rest:{m} /projects/:id/protected_environments{tail}", since, _PROTECTED_ENVS, edition=EE)
            for m, tail, since in (
                ("GET", "", "12.8"),
                ("POST", "", "12.8"),
                ("GET", "/:name", "12.8"),
                ("PUT", "/:name", "15.4"),
                ("DELETE", "/:name", "12.8"),
            )
        ),
        *(
            _f(f"rest:{m} /groups/:id/protected_environments{tail}", since, _GROUP_ENVS, edition=EE)
            for m, tail, since in (
                ("GET", "", "14.3"),
                ("POST", "", "14.3"),
                ("GET", "/:name", "14.3"),
                ("PUT", "/:name", "15.4"),
                ("DELETE", "/:name", "14.3"),
            )
        ),
        # -- the CI/CD catalog (component mode) --------------------------------------------------
        *(
            _f(name, "17.0", _CATALOG)
            for name in ("graphql:Project.isCatalogResource", "graphql:Mutation.catalogResourcesCreate")
        ),
        _f(
            "rest:POST /projects/:id/catalog/publish",
            "17.0",
            "[G:doc/ci/components/_index.md] 'CI/CD Catalog generally available in 17.0' (the publish endpoint's "
            "version unverified)",
        ),
        # -- merge request approvals, push rules, webhooks (issue 18) ------------------------------
        *(
            _f(f"rest:{m} /projects/:id/approval_rules{tail}", "12.3", _APPROVALS_MD, edition=EE)
            for m, tail in (
                ("GET", ""),
                ("POST", ""),
                ("PUT", "/:approval_rule_id"),
                ("DELETE", "/:approval_rule_id"),
            )
        ),
        *(
            _f(f"rest:{m} /projects/:id/approvals", "10.6", _APPROVALS_RB, edition=EE)
            for m in ("GET", "POST")
        ),
        _f(
            "rest:ProjectApprovals.require_reauthentication_to_approve",
            "17.1",
            _APPROVALS_MD
            + " 'require_reauthentication_to_approve introduced in 17.1' (require_password_to_approve "
            "deprecated in 16.9, still read and written)",
            edition=EE,
        ),
        *(
            _f(f"rest:{m} /projects/:id/push_rule", "9.0", _PUSH_RULE_RB, edition=EE)
            for m in ("GET", "POST", "PUT", "DELETE")
        ),
        *(
            _f(f"rest:ProjectHook.{name}", "17.1", _HOOKS_MD + f" '{name} introduced in 17.1'")
            for name in ("name", "description")
        ),
        _f(
            "rest:ProjectHook.custom_headers",
            "17.1",
            _HOOKS_MD
            + " 'Set a custom header: introduced in 17.1' (the custom_headers parameter of POST/PUT "
            "is taken to come with it: unverified)",
        ),
        *(
            _f(f"rest:{m} /projects/:id/hooks/:hook_id/custom_headers/:key", "17.1", _HOOKS_MD)
            for m in ("PUT", "DELETE")
        ),
        *(
            _f(f"rest:{m} /groups/:id/hooks{tail}", "10.0", _GROUP_HOOKS_MD, edition=EE)
            for m, tail in (
                ("GET", ""),
                ("POST", ""),
                ("GET", "/:hook_id"),
                ("PUT", "/:hook_id"),
                ("DELETE", "/:hook_id"),
            )
        ),
        *(
            _f(
                f"rest:{m} /groups/:id/hooks/:hook_id/custom_headers/:key",
                "17.1",
                _GROUP_HOOKS_MD,
                edition=EE,
            )
            for m in ("PUT", "DELETE")
        ),
        # -- GraphQL limits and costs ---------------------------------------------------------------
        _f(
            "behaviour:graphql_blobs_size_limit",
            "18.4.5",
            "[G:app/graphql/resolvers/blobs_resolver.rb] TOTAL_BLOB_DATA_SIZE_LIMIT 20 MB; gitlab-org/gitlab"
            "!212456, backported by !212993 (the exact patch releases are unverified)",
        ),
        _f(
            "behaviour:graphql_blob_data_complexity_surcharge",
            "18.4.2",
            "gitlab-org/gitlab#576497: from 18.4.2 two blobs with rawTextBlob cost 346 points; lifted by !212456",
            until="18.4.5",
        ),
    )
}


# -- lookups ---------------------------------------------------------------------------------------
def _as_version(version: Version | str, edition: str | None = None) -> Version:
    if isinstance(version, Version):
        return version if edition is None else Version(*version.release, edition)
    return Version.parse(version, edition)


def available(name: str, version: Version | str, edition: str | None = None) -> bool:
    """Whether `name` exists on that server. A name the table does not know is assumed to exist (it
    predates every version served); a typo therefore reads as "available": `feature()` catches it."""
    found = FEATURES.get(name)
    if found is None:
        return True
    server = _as_version(version, edition)
    if found.edition == EE and server.edition != EE:
        return False
    if server.release < found.since:
        return False
    return found.until is None or server.release < found.until


def flagged_off(name: str, version: Version | str, edition: str | None = None) -> str | None:
    """The flag that hides `name` on that server by default (it exists but is off), or None."""
    found = FEATURES.get(name)
    server = _as_version(version, edition)
    if found is None or found.flag is None or found.flag_since is None:
        return None
    return found.flag if found.flag_since <= server.release < found.since else None


def feature(name: str) -> Feature:
    """The row for `name`; KeyError names the features that are close, for typos in callers' tables."""
    try:
        return FEATURES[name]
    except KeyError:
        close = [n for n in FEATURES if n.split(".")[-1] == name.split(".")[-1]]
        raise KeyError(f"no GitLab feature {name!r} in provisioner.gitlab_versions; close: {close}") from None


def since(name: str) -> str:
    """`17.4`, `18.4.5`, or `17.0 EE`: the shortest way to say what a server needs for `name`."""
    row = feature(name)
    major, minor, patch = row.since
    text = f"{major}.{minor}" + (f".{patch}" if patch else "")
    return text + (" EE" if row.edition == EE else "")


def needs(name: str, version: Version | str, edition: str | None = None) -> str | None:
    """None when the server has `name`, else what it lacks: "needs GitLab 17.4" or "needs GitLab EE"."""
    if available(name, version, edition):
        return None
    row = feature(name)
    server = _as_version(version, edition)
    if row.edition == EE and server.edition != EE:
        return "needs GitLab EE"
    if row.until is not None and server.release >= row.until:
        major, minor, patch = row.until
        return f"removed in GitLab {major}.{minor}" + (f".{patch}" if patch else "")
    return f"needs GitLab {since(name).removesuffix(' EE')}"


def missing(names: Iterable[str], version: Version | str, edition: str | None = None) -> list[str]:
    """The names that server lacks, in the order given."""
    return [n for n in names if not available(n, version, edition)]
