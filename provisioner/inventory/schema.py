"""The inventory's schema: the user-facing contract, in one place.

Field docstrings are the documentation: they feed the exported JSON Schema (`provisioner schema`) and
editors' completion. Every model forbids unknown keys; the loader turns pydantic's errors into
`file:line:column: field: message` with a did-you-mean. A field left out (or set to null in a more
specific layer) is not managed: the tool neither reads nor writes it. A default below is what the
tool writes when it creates the thing (a variable, a runner, a protected branch or tag); it is never
compared with what exists (the facets compare `model_fields_set`, what the inventory wrote).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    create_model,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

VARIABLE_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# GitLab's classic masking rule (REFERENCE 2.3): one line, 8+ characters, Base64 alphabet plus @ : . ~
MASKABLE_VALUE = re.compile(r"^[a-zA-Z0-9_+=/@:.~-]{8,}$")
MASKING_RULE = "it needs 8 or more characters from A-Z a-z 0-9 _ + = / @ : . ~ -"
ONE_MONTH_SECONDS = 2_629_746  # ActiveSupport's 1.month, GitLab's upper bound for build_timeout (exclusive)

AccessLevel = Literal["disabled", "private", "enabled"]
PagesAccessLevel = Literal["disabled", "private", "enabled", "public"]
PackageRegistryAccessLevel = Literal["disabled", "private", "enabled", "public"]
RuleAccessLevel = Literal["maintainer", "owner", "admin"]
PackageDeleteLevel = Literal["owner", "admin"]
"""GitLab's package rules know no `maintainer` for deletes: unset, deleting needs Maintainer anyway."""
RefAccessLevel = Literal["no_one", "developer", "maintainer", "admin"]
"""Protected branch and tag levels: no_one = 0, developer = 30, maintainer = 40, admin = 60."""

REF_ACCESS_LEVELS: dict[str, int] = {"no_one": 0, "developer": 30, "maintainer": 40, "admin": 60}


# ProjectCiCdSetting::ALLOWED_SUB_CLAIM_COMPONENTS [G:app/models/project_ci_cd_setting.rb].
SubClaimComponent = Literal["project_path", "ref_type", "ref"]


def _project_path_first(components: list[str]) -> list[str]:
    if components[0] != "project_path":
        raise ValueError("project_path must come first (GitLab refuses any other first claim)")
    return components


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Settings(_Model):
    """Project attributes written with `PUT /projects/:id`, under GitLab's own names (REFERENCE 2.1)."""

    ci_config_path: str | None = None
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
    max_artifacts_size: Annotated[int, Field(ge=0)] | None = None
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
    description: str | None = None
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


class Variable(_Model):
    """A CI/CD variable. Its identity is its key plus its environment scope."""

    value: str | None = None
    """A literal value. Use `secret` for anything sensitive."""
    secret: str | None = None
    """Where the value comes from: env:NAME, keyring:SERVICE/NAME or file:PATH (relative to this file)."""
    value_unmanaged: bool = False
    """Manage the metadata only and leave the value as it is on the server (set by `import`)."""
    masked: bool = False
    hidden: bool = False
    """Masked and never readable again, not even by the tool; the value changes only with --rotate."""
    protected: bool = False
    raw: bool = False
    """Do not expand $VARIABLES inside the value."""
    variable_type: Literal["env_var", "file"] = "env_var"
    environment_scope: Annotated[str, Field(min_length=1)] = "*"
    description: Annotated[str, Field(max_length=255)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Variable:
        sources = [self.value is not None, self.secret is not None, self.value_unmanaged]
        if sum(sources) != 1:
            raise ValueError("give exactly one of value, secret or value_unmanaged: true")
        if self.hidden and not self.masked:
            raise ValueError("hidden variables must also be masked (masked: true)")
        if self.masked and self.value is not None and not MASKABLE_VALUE.match(self.value):
            raise ValueError(f"GitLab cannot mask this value: {MASKING_RULE}")
        return self


def _variable_key(key: str) -> str:
    if not VARIABLE_KEY.match(key):
        raise ValueError("a variable key is 1 to 255 characters from A-Z a-z 0-9 _")
    return key


def _one_per_scope(entries: list[Variable]) -> list[Variable]:
    scopes = [entry.environment_scope for entry in entries]
    if len(scopes) != len(set(scopes)):
        raise ValueError("the same environment_scope is given twice")
    return entries


VariableKey = Annotated[str, AfterValidator(_variable_key)]
ScopedVariables = Annotated[list[Variable], AfterValidator(_one_per_scope)]


class Variables(_Model):
    """Variables by key. A plain string is a literal value; a list gives one entry per environment scope.

    The key `prune` is the flag below, never a variable.
    """

    items: dict[VariableKey, ScopedVariables] = {}
    prune: bool = False
    """Delete variables the inventory does not name (otherwise they are only reported as unmanaged)."""

    @model_validator(mode="before")
    @classmethod
    def _from_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict) or _is_internal_form(data):
            return data
        items: dict[str, Any] = {}
        for key, entry in data.items():
            if key == "prune":
                continue
            # a scalar is a literal value; a wrong type is then reported as the value's
            items[key] = (
                entry if isinstance(entry, list) else [entry if isinstance(entry, dict) else {"value": entry}]
            )
        return {"items": items, "prune": data.get("prune", False)}

    @model_serializer(mode="wrap")
    def _to_mapping(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Dump what a user writes (a mapping by key), so that a dump reads back as the same model.
        plain: dict[str, Any] = handler(self)
        mapping = dict(plain.get("items", {}))
        if self.prune:
            mapping["prune"] = True
        return mapping

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        variable = schema["properties"]["items"]["additionalProperties"]["items"]
        prune = schema["properties"]["prune"]
        schema.pop("required", None)
        schema["properties"] = {"prune": prune}
        schema["propertyNames"] = {"pattern": VARIABLE_KEY.pattern}
        schema["additionalProperties"] = {
            "anyOf": [{"type": "string"}, variable, {"type": "array", "items": variable}]
        }
        return reference


def _is_internal_form(data: dict[Any, Any]) -> bool:
    """`{"items": {KEY: [...]}, ...}`, as `Variables(items=...)` passes it (a variable named items is not)."""
    items = data.get("items")
    return (
        set(data) <= {"items", "prune"}
        and isinstance(items, dict)
        and all(isinstance(entries, list) for entries in items.values())
    )


class TokenStore(_Model):
    """Where a one-time token GitLab hands out is kept. Default: the OS keyring (see the README)."""

    keyring: str | None = None
    """SERVICE/NAME in the OS keyring."""
    file: str | None = None
    """A file created with mode 0600 (relative to this inventory file)."""

    @model_validator(mode="after")
    def _one(self) -> TokenStore:
        if self.keyring is not None and self.file is not None:
            raise ValueError("give keyring or file, not both")
        if self.keyring is not None and "/" not in self.keyring:
            raise ValueError("keyring must be SERVICE/NAME")
        return self


class RunnerSelector(_Model):
    """An existing project runner to assign, by id, description or tags (all given must match)."""

    id: int | None = None
    description: str | None = None
    tags: list[str] | None = None

    @model_validator(mode="after")
    def _some(self) -> RunnerSelector:
        if self.id is None and self.description is None and not self.tags:
            raise ValueError("select a runner by id, description or tags")
        return self


class ProjectRunner(_Model):
    """A project runner the tool creates (POST /user/runners) and keeps in shape. Matched by description.

    Its one-time token goes to the keyring (service `provisioner-runner`, name `<project path>/<description>`)
    unless `token` names another place."""

    description: Annotated[str, Field(min_length=1)]
    tags: list[Annotated[str, Field(min_length=1)]] = []
    """Compared as a set: order and repetition do not matter."""
    run_untagged: bool = True
    locked: bool = False
    paused: bool = False
    access_level: Literal["not_protected", "ref_protected"] = "not_protected"
    maximum_timeout: Annotated[int, Field(ge=600)] | None = None
    """Seconds; at least 10 minutes. Left out: not managed."""
    maintenance_note: Annotated[str, Field(max_length=980)] | None = None
    """GitLab keeps 1,024 characters; the tool adds a line (44) that marks the runners it creates."""
    token: TokenStore = TokenStore()


class Runners(_Model):
    shared_runners_enabled: bool | None = None
    group_runners_enabled: bool | None = None
    assign: list[RunnerSelector] = []
    """Existing project runners to assign; each selector must match exactly one runner."""
    create: list[ProjectRunner] = []
    prune: bool = False
    """Unassign project runners the inventory does not select or create."""

    @model_validator(mode="after")
    def _unique_descriptions(self) -> Runners:
        _no_duplicates([r.description for r in self.create], "runner description")
        return self


def _no_duplicates(names: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is given twice")
        seen.add(name)


class CleanupPolicy(_Model):
    """Container registry cleanup policy (written as container_expiration_policy_attributes)."""

    enabled: bool = True
    cadence: Literal["1d", "7d", "14d", "1month", "3month"] = "1d"
    keep_n: Literal[1, 5, 10, 25, 50, 100] | None = None
    """Left out (like older_than and the regexes): not managed."""
    older_than: Literal["7d", "14d", "30d", "90d"] | None = None
    name_regex: str | None = None
    """Tags to delete (GitLab reads it back as name_regex_delete)."""
    name_regex_keep: str | None = None


class JobTokenScope(_Model):
    """Which projects' CI job tokens may access this project."""

    enabled: bool | None = None
    """Limit inbound access to the allowlist."""
    projects: list[str] = []
    """Allowlisted projects, by full path."""
    groups: list[str] = []
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
    expires_at: date | None = None
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
    """Falls back to packages_enabled on servers older than GitLab 18.5 ("public" needs 18.5)."""
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


class BranchProtection(_Model):
    push_access_level: RefAccessLevel = "maintainer"
    merge_access_level: RefAccessLevel = "maintainer"
    unprotect_access_level: RefAccessLevel | None = None
    """Left out: not managed. GitLab CE neither shows nor takes it (Premium); GitLab's default is maintainer."""
    allow_force_push: bool = False

    @model_validator(mode="after")
    def _someone_may_unprotect(self) -> BranchProtection:
        if self.unprotect_access_level == "no_one":
            raise ValueError("unprotect_access_level cannot be no_one (GitLab refuses it)")
        return self


class TagProtection(_Model):
    create_access_level: RefAccessLevel = "maintainer"


class Protection(_Model):
    default_branch: BranchProtection | None = None
    """Protection of the project's default branch, whatever it is called."""
    branches: dict[str, BranchProtection] = {}
    """More protected branches by name or wildcard (release/*)."""
    tags: dict[str, TagProtection] = {}
    """Protected tags by name or wildcard; release jobs run only on protected tags such as v*."""


class Project(_Model):
    """What a project should look like. Used for `defaults`, each group, and each project."""

    create: bool | None = None
    """Create the project when it is missing (otherwise a missing project is an error)."""
    blueprint: str | None = None
    """A folder under blueprints/ to render and commit (see `provisioner blueprint list`)."""
    blueprint_vars: dict[str, Any] = {}
    blueprint_enforce: bool | list[str] | None = None
    """Files whose every difference from the rendering is drift, which apply restores (the team's edits
    are not kept): true, those the blueprint marks for compliance (python-package: .gitlab-ci.yml, and the
    project's ci_config_path with it); a list, exactly these paths; false, none. Unset: the blueprint's."""
    settings: Settings = Settings()
    variables: Variables = Variables()
    runners: Runners | None = None
    registry: Registry | None = None
    protection: Protection | None = None


class Group(Project):
    group_variables: Variables = Variables()
    """Variables set on the group itself (the other keys apply to the group's projects)."""


class Inventory(_Model):
    version: Literal[1]
    include: list[str] = []
    """More inventory files (glob patterns relative to this file), merged in order."""
    defaults: Project = Project()
    groups: dict[str, Group] = {}
    """By full path; applies to the group's projects at any depth, ancestors first."""
    projects: dict[str, Project] = {}
    """By full path."""


@dataclass(frozen=True)
class Sections:
    """The inventory sections the registered facets read, with their schemas, beyond those this module
    spells out: a project's (also written under `defaults` and a group, for the projects below it), and
    a group's own (`group_*`: the group itself, never inherited)."""

    project: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    group: Mapping[str, type[BaseModel]] = field(default_factory=dict)

    def _extra(self, which: Mapping[str, type[BaseModel]]) -> tuple[tuple[str, type[BaseModel]], ...]:
        return tuple(sorted((k, v) for k, v in which.items() if k not in Group.model_fields))


NO_SECTIONS = Sections()


def project_model(sections: Sections = NO_SECTIONS) -> type[Project]:
    """`Project`, with the sections it does not spell out itself (a facet that brings its own)."""
    return _models(sections._extra(sections.project), sections._extra(sections.group))[0]


def group_model(sections: Sections = NO_SECTIONS) -> type[Group]:
    """`Group`: a project's sections (for the projects below it) and the group's own."""
    return _models(sections._extra(sections.project), sections._extra(sections.group))[1]


def inventory_model(sections: Sections = NO_SECTIONS) -> type[Inventory]:
    return _models(sections._extra(sections.project), sections._extra(sections.group))[2]


def group_own_model(sections: Sections = NO_SECTIONS) -> type[BaseModel]:
    """The sections of a group's own that the facets bring (what `GroupSpec.config` holds)."""
    fields: dict[str, Any] = {name: (model | None, None) for name, model in sections._extra(sections.group)}
    return _own(tuple(sorted(fields.items(), key=lambda item: item[0])))


@functools.cache
def _own(fields: tuple[tuple[str, Any], ...]) -> type[BaseModel]:
    return create_model("GroupOwn", __base__=_Model, **dict(fields))


Extra = tuple[tuple[str, type[BaseModel]], ...]


_MADE: dict[tuple[Extra, Extra], tuple[type[Project], type[Group], type[Inventory]]] = {}


def _models(project_extra: Extra, group_extra: Extra) -> tuple[type[Project], type[Group], type[Inventory]]:
    if not project_extra and not group_extra:
        return Project, Group, Inventory
    if (project_extra, group_extra) not in _MADE:
        _MADE[(project_extra, group_extra)] = _make(project_extra, group_extra)
    return _MADE[(project_extra, group_extra)]


def _make(project_extra: Extra, group_extra: Extra) -> tuple[type[Project], type[Group], type[Inventory]]:
    fields: dict[str, Any] = {name: (model | None, None) for name, model in project_extra}
    own: dict[str, Any] = {name: (model | None, None) for name, model in group_extra}
    project = create_model("Project", __base__=Project, **fields)
    group = create_model("Group", __base__=Group, **fields, **own)
    inventory = create_model(
        "Inventory",
        __base__=Inventory,
        defaults=(project, project()),
        groups=(dict[str, group], {}),
        projects=(dict[str, project], {}),
    )
    return project, group, inventory
