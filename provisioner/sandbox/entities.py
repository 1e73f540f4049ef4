"""The entities of the sandbox's world: plain mutable dataclasses, shaped after GitLab's models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER, ADMIN = 10, 20, 30, 40, 50, 60
NO_ONE = 0


_frozen_time: list[str] = []  # set while seeding, so that the demo world is the same every time


def now_iso() -> str:
    if _frozen_time:
        return _frozen_time[-1]
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@contextmanager
def frozen_time(timestamp: str) -> Iterator[None]:
    _frozen_time.append(timestamp)
    try:
        yield
    finally:
        _frozen_time.pop()


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    namespace_id: int
    created_at: str
    is_admin: bool = False
    state: str = "active"
    bot: bool = False


@dataclass
class Token:
    id: int
    user_id: int
    name: str
    secret: str
    scopes: list[str]
    created_at: str
    expires_at: str | None = None  # YYYY-MM-DD
    revoked: bool = False
    description: str = ""
    last_used_at: str | None = None


@dataclass
class Member:
    user_id: int
    access_level: int
    created_at: str
    expires_at: str | None = None


@dataclass
class Variable:
    key: str
    value: str
    variable_type: str = "env_var"
    protected: bool = False
    masked: bool = False
    hidden: bool = False
    raw: bool = False
    environment_scope: str = "*"
    description: str | None = None


@dataclass
class Namespace:
    """A group, or a user's personal namespace (kind "user"), which only projects see."""

    id: int
    name: str
    path: str
    kind: str
    created_at: str
    parent_id: int | None = None
    owner_id: int | None = None  # personal namespaces
    visibility: str = "private"
    description: str = ""
    members: dict[int, Member] = field(default_factory=dict)
    variables: list[Variable] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)  # group hooks (Premium)
    shared_with: list[GroupShare] = field(default_factory=list)  # groups this group is shared with
    protected_environments: list[ProtectedEnvironment] = field(default_factory=list)


@dataclass
class Commit:
    id: str
    tree: dict[str, str]  # path -> blob id
    parent_ids: list[str]
    message: str
    author_name: str
    author_email: str
    created_at: str
    executables: list[str] = field(default_factory=list)


@dataclass
class Repo:
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit id
    tags: dict[str, str] = field(default_factory=dict)
    tag_messages: dict[str, str] = field(default_factory=dict)  # annotated tags: name -> message


@dataclass
class AccessLevel:
    id: int
    access_level: int


@dataclass
class ProtectedBranch:
    id: int
    name: str
    push: list[AccessLevel]
    merge: list[AccessLevel]
    unprotect: list[AccessLevel]
    allow_force_push: bool = False
    code_owner_approval_required: bool = False


@dataclass
class ProtectedTag:
    id: int
    name: str
    create: list[AccessLevel]


@dataclass
class MergeRequest:
    id: int
    iid: int
    title: str
    source_branch: str
    target_branch: str
    author_id: int
    created_at: str
    updated_at: str
    description: str | None = None
    state: str = "opened"
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    remove_source_branch: bool | None = None
    squash: bool = False
    merged_by_id: int | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    head_sha: str | None = None  # the source branch's head when merged (the branch may be gone since)


@dataclass
class ContainerProtectionRule:
    id: int
    repository_path_pattern: str
    minimum_access_level_for_push: str | None
    minimum_access_level_for_delete: str | None


@dataclass
class PackageProtectionRule:
    id: int
    package_name_pattern: str
    package_type: str
    minimum_access_level_for_push: str | None
    minimum_access_level_for_delete: str | None = None


@dataclass
class ApprovalRule:
    """A project-level merge request approval rule (Premium) [G:ee/app/models/approval_project_rule.rb]."""

    id: int
    name: str
    approvals_required: int
    rule_type: str = "regular"  # regular | any_approver | report_approver
    user_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    protected_branch_ids: list[int] = field(default_factory=list)
    applies_to_all_protected_branches: bool = False


@dataclass
class PushRule:
    """A project's one push rule (Premium) [G:ee/app/models/push_rule.rb]. The three settings with a
    global default read back null where they were written false (write_setting_with_global_default)."""

    id: int
    created_at: str
    commit_message_regex: str | None = None
    commit_message_negative_regex: str | None = None
    branch_name_regex: str | None = None
    author_email_regex: str | None = None
    file_name_regex: str | None = None
    deny_delete_tag: bool = False
    member_check: bool = False
    prevent_secrets: bool = False
    max_file_size: int = 0
    commit_committer_check: bool | None = None
    reject_unsigned_commits: bool | None = None


@dataclass
class Hook:
    """A project webhook [G:app/models/concerns/web_hooks/hook.rb]: the token, URL variables and custom
    header values are stored and never shown."""

    id: int
    url: str
    created_at: str
    token: str | None = None
    events: dict[str, bool] = field(default_factory=dict)
    enable_ssl_verification: bool = True
    push_events_branch_filter: str | None = None
    branch_filter_strategy: str = "wildcard"
    name: str | None = None
    description: str | None = None
    custom_headers: dict[str, str] = field(default_factory=dict)
    url_variables: dict[str, str] = field(default_factory=dict)


@dataclass
class EnvironmentAccess:
    """A deploy access level or an approval rule of a protected environment: a role, a user or a group."""

    id: int
    access_level: int | None = None
    user_id: int | None = None
    group_id: int | None = None
    group_inheritance_type: int = 0
    required_approvals: int | None = None  # approval rules only


@dataclass
class ProtectedEnvironment:
    id: int
    name: str  # a group's: a deployment tier
    deploy_access_levels: list[EnvironmentAccess] = field(default_factory=list)
    approval_rules: list[EnvironmentAccess] = field(default_factory=list)
    required_approval_count: int = 0


@dataclass
class GroupShare:
    group_id: int
    group_access: int
    expires_at: str | None = None


@dataclass
class Project:
    id: int
    name: str
    path: str
    namespace_id: int
    creator_id: int
    created_at: str
    updated_at: str
    settings: dict[str, Any]  # the attributes of REFERENCE 2.1, see project_attrs.py
    container_policy: dict[str, Any]
    description: str | None = None
    visibility: str = "private"
    default_branch: str | None = None
    archived: bool = False
    topics: list[str] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    variables: list[Variable] = field(default_factory=list)
    repo: Repo = field(default_factory=Repo)
    protected_branches: list[ProtectedBranch] = field(default_factory=list)
    protected_tags: list[ProtectedTag] = field(default_factory=list)
    merge_requests: list[MergeRequest] = field(default_factory=list)
    job_token_inbound_enabled: bool = True
    job_token_allowlist_projects: list[int] = field(default_factory=list)
    job_token_allowlist_groups: list[int] = field(default_factory=list)
    container_protection_rules: list[ContainerProtectionRule] = field(default_factory=list)
    package_protection_rules: list[PackageProtectionRule] = field(default_factory=list)
    approval_rules: list[ApprovalRule] = field(default_factory=list)
    approval_settings: dict[str, bool] = field(default_factory=dict)  # POST /projects/:id/approvals
    push_rule: PushRule | None = None
    hooks: list[Hook] = field(default_factory=list)
    shared_with: list[GroupShare] = field(default_factory=list)
    deploy_keys: list[DeployKeyLink] = field(default_factory=list)
    pipeline_schedules: list[PipelineSchedule] = field(default_factory=list)
    protected_environments: list[ProtectedEnvironment] = field(default_factory=list)
    catalog_resource: bool = False  # a CI/CD catalog project (GraphQL catalogResourcesCreate)


@dataclass
class DeployKey:
    """A deploy key of the instance: one row of `keys`, enabled in projects through `DeployKeyLink`s."""

    id: int
    title: str
    key: str
    fingerprint_sha256: str  # "SHA256:..." as the API shows it
    fingerprint: str  # MD5, colon-separated hex
    created_at: str
    user_id: int | None = None  # who created it
    public: bool = False  # an instance-wide key an administrator created (POST /deploy_keys)
    expires_at: str | None = None


@dataclass
class DeployKeyLink:
    """`deploy_keys_projects`: a key enabled in a project, with its write access there."""

    id: int
    key_id: int
    can_push: bool = False


@dataclass
class ScheduleVariable:
    key: str
    value: str
    variable_type: str = "env_var"
    raw: bool = False


@dataclass
class PipelineSchedule:
    id: int
    description: str
    ref: str
    cron: str
    cron_timezone: str
    owner_id: int
    created_at: str
    updated_at: str
    active: bool = True
    variables: list[ScheduleVariable] = field(default_factory=list)


@dataclass
class Runner:
    id: int
    runner_type: str  # instance_type, group_type, project_type
    token: str
    created_at: str
    description: str = ""
    paused: bool = False
    locked: bool = False
    run_untagged: bool = True
    tag_list: list[str] = field(default_factory=list)
    access_level: str = "not_protected"
    maximum_timeout: int | None = None
    maintenance_note: str | None = None
    project_ids: list[int] = field(default_factory=list)  # the first one owns the runner
    group_ids: list[int] = field(default_factory=list)
    contacted_at: str | None = None
    creator_id: int | None = None


@dataclass
class DeployToken:
    id: int
    name: str
    username: str
    secret: str
    scopes: list[str]
    project_id: int | None = None
    group_id: int | None = None
    expires_at: str | None = None
    revoked: bool = False


@dataclass
class Job:
    """A CI job while it runs: what its CI_JOB_TOKEN stands for (the job's project and its user)."""

    id: int
    project_id: int
    user_id: int
    token: str
    status: str = "running"  # only a running job's token authenticates


@dataclass
class PackageFile:
    id: int
    file_name: str
    sha256: str | None  # as GitLab records it: for PyPI, the digest the client claimed
    blob: str  # the content, in State.blobs under its SHA-256
    size: int
    created_at: str


@dataclass
class Package:
    id: int
    project_id: int
    package_type: str  # "pypi" or "generic"
    name: str
    version: str
    created_at: str
    files: list[PackageFile] = field(default_factory=list)
    requires_python: str = ""  # pypi metadata shown in the simple index
