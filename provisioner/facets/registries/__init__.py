"""The registries of a project: access levels, cleanup policy, job token scope, deploy tokens, rules.

Only the parts the inventory names are read and compared. Project attributes (access levels, the
cleanup policy) come from the project entity and go out in one PUT /projects/:id. Protection rule
lists are complete: rules not listed are removed. Deploy tokens are identified by name; GitLab cannot
change one, so a token whose scopes, expiry or username differ is replaced (a new secret) only when
apply runs with --rotate; without it, apply writes nothing for this facet and says why, once.

What the server's version cannot honour (protection rules before 17.6 and 17.8, a package rule's
delete level before 17.11, `package_registry_access_level` private or public before 17.10) is said to
need that version, before anything is read or written of it (`versions.py`). An instance that enforces
every project's job token allowlist is said once per project, never written against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from provisioner.errors import ProvisionerError, Unobservable
from provisioner.facets import issued
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    Lookups,
    PlanOptions,
    Requirement,
    TargetAttributes,
    lacking,
    target_attributes,
    unsupported_keys,
)
from provisioner.facets.registries import access, deploy_tokens, versions
from provisioner.facets.registries.current import RegistryState, describe_registry, read_registry
from provisioner.facets.registries.rules import apply_rule, diff_container_rules, diff_package_rules
from provisioner.gitlab import deploy_tokens as api_tokens
from provisioner.gitlab import graphql_reads, job_tokens, projects
from provisioner.gitlab import registry as api_registry
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.deploy_tokens import DeployTokenRecord
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.registry import ContainerRule, PackageRule
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Registry
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Change, ProjectRef, Role, TargetKind


class NeedsRotate(ProvisionerError):
    """A deploy token must be replaced, and apply was not asked to (--rotate)."""


@dataclass(frozen=True)
class ObservedRegistry:
    project_id: int
    attributes: Mapping[str, Any]  # the registry attributes the inventory names, normalised
    package_key: str | None = None  # package_registry_access_level, or packages_enabled before 17.10
    job_token: access.ObservedJobToken | None = None
    deploy_tokens: tuple[DeployTokenRecord, ...] | None = None
    lost_tokens: frozenset[str] = frozenset()  # deploy token names whose store holds the pending mark
    package_rules: tuple[PackageRule, ...] | None = None
    container_rules: tuple[ContainerRule, ...] | None = None
    server: Version | None = None  # None: not known, everything is taken to exist


def observe_registry(api: GitLabApi, project: ProjectRef, config: Registry) -> ObservedRegistry:
    require_maintainer(project)
    server = api.server()
    config = versions.honourable(config, unsupported_keys(versions.requirements(config), server))
    attributes, package_key = access.observe_attributes(api, project, config)
    job_token = access.observe_job_token(api, project, config.job_token_scope)
    deploy = None if config.deploy_tokens is None else tuple(api_tokens.active_tokens(api, project.id))
    package_rules = (
        None
        if config.package_protection_rules is None
        else tuple(api_registry.package_rules(api, project.id))
    )
    container_rules = (
        None
        if config.container_protection_rules is None
        else tuple(api_registry.container_rules(api, project.id))
    )
    return ObservedRegistry(
        project.id,
        attributes,
        package_key,
        job_token,
        deploy,
        package_rules=package_rules,
        container_rules=container_rules,
        server=server,
    )


def diff_registry(
    facet: str, project_path: str, config: Registry, observed: ObservedRegistry, options: PlanOptions
) -> list[Change]:
    asked = versions.requirements(config)
    cannot = unsupported_keys(asked, observed.server)
    config = versions.honourable(config, cannot)
    observed = replace(observed, package_rules=versions.comparable(observed.package_rules, observed.server))
    changes = [*versions.said_once(lacking(facet, asked, observed.server), cannot)]
    changes += access.diff_attributes(facet, config, observed.attributes, observed.package_key)
    if config.job_token_scope is not None and observed.job_token is not None:
        changes += access.diff_job_token(facet, config.job_token_scope, observed.job_token)
    if config.deploy_tokens is not None and observed.deploy_tokens is not None:
        changes += deploy_tokens.diff_deploy_tokens(
            facet,
            project_path,
            config.deploy_tokens,
            observed.deploy_tokens,
            rotate=options.rotate,
            lost=observed.lost_tokens,
        )
    if config.package_protection_rules is not None and observed.package_rules is not None:
        changes += diff_package_rules(facet, config.package_protection_rules, observed.package_rules)
    if config.container_protection_rules is not None and observed.container_rules is not None:
        changes += diff_container_rules(facet, config.container_protection_rules, observed.container_rules)
    return changes


def apply_registry(api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
    refused = [c for c in changes if deploy_tokens.needs_rotate(c)]
    if refused:
        # Refuse before writing anything, so that what the report says was applied is true.
        names = ", ".join(c.target for c in refused)
        raise NeedsRotate(
            f"{names}: differs from the inventory, and GitLab cannot change a deploy token; "
            "run apply --rotate to replace the token (nothing of the registry facet was applied)"
        )
    # Run by the engine, the attributes were written before (with the other facets'): not handed here.
    if attributes := target_attributes(changes):
        projects.update(api, project.id, attributes)
    for change in changes:
        if isinstance(change.payload, TargetAttributes):
            continue
        if access.apply_job_token(api, project.id, change):
            continue
        if deploy_tokens.apply_deploy_token(api, project.id, change, ctx):
            continue
        apply_rule(api, project.id, change)


class ProjectRegistry(FacetDefaults):
    name = "registry"
    kind = TargetKind.PROJECT
    section = "registry"
    # admin_project, manage_deploy_tokens, admin_package: Maintainer [G:app/policies/project_policy.rb]
    write_role = Role.MAINTAINER
    schema = Registry
    features = versions.FEATURES
    # The job token allowlists and the protection rules are written on their bulk reads (per read:
    # engine.prefetch). (1) GraphQL lists what REST lists: ciJobTokenScope's inboundAllowlist and
    # groupsAllowlist call the same Ci::JobToken::Scope#inbound_projects and #groups as GET .../allowlist
    # and .../groups_allowlist, with node types that are not authorised one by one [G:app/graphql/types/
    # ci/job_token_scope_type.rb, job_token_accessible_project_type.rb, job_token_accessible_group_type.rb;
    # lib/api/project_job_token_scope.rb] (unverified before 17.0's groupsAllowlist: an older node type
    # would leave out projects the token cannot see -- an entry then missed by prune, never written);
    # the rule connections resolve project.package_protection_rules and
    # .container_registry_protection_rules as the REST lists do [G:app/graphql/resolvers/
    # project_packages_protection_rules_resolver.rb, project_container_registry_protection_rules_resolver
    # .rb; lib/api/project_packages_protection_rules.rb]. (2) On a stale view GitLab refuses: an entry
    # added meanwhile hits the unique index, 400 "Target project|group is already in the job token
    # scope" [G:app/services/ci/job_token_scope/add_project_service.rb, add_group_service.rb], taken as
    # there; removing one gone answers 400 "... is not in the job token scope", a no-op; a rule whose
    # pattern exists meanwhile is refused, 422 "... has already been taken" (uniqueness per project
    # [G:app/models/packages/protection/rule.rb, app/models/container_registry/protection/rule.rb]), read
    # again and reported; a PATCH or DELETE of a rule gone answers 404.
    # Not the job token switch: GraphQL shows the project's own setting, REST what GitLab enforces, the
    # instance's enforcement folded in (Project#ci_inbound_job_token_scope_enabled?: provisioner.gitlab.
    # job_tokens), so a drift there is read again over REST.
    writes_on_bulk_view = frozenset(
        {job_tokens.PROJECTS, job_tokens.GROUPS, api_registry.PACKAGE_RULES, api_registry.CONTAINER_RULES}
    )

    def wants(self, spec: ProjectSpec) -> bool:
        config = spec.config.registry
        return config is not None and bool(config.model_dump(exclude_none=True))

    def requirements(self, spec: ProjectSpec) -> tuple[Requirement, ...]:
        config = spec.config.registry
        return () if config is None else versions.requirements(config)

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedRegistry:
        if spec.config.registry is None:
            raise Unobservable("no registry section")
        observed = observe_registry(api, project, spec.config.registry)
        lost = frozenset(
            want.name
            for want in spec.config.registry.deploy_tokens or ()
            if issued.pending(
                spec.inventory_dir, want.token, deploy_tokens.default_keyring(spec.path, want.name)
            )
        )
        return replace(observed, lost_tokens=lost)

    def diff(self, spec: ProjectSpec, observed: ObservedRegistry, options: PlanOptions) -> list[Change]:
        assert spec.config.registry is not None
        return diff_registry(self.name, spec.path, spec.config.registry, observed, options)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_registry(api, project, changes, ctx)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        config = spec.config.registry
        if config is None:
            return BulkReads()
        wanted = {
            graphql_reads.JOB_TOKEN.name: config.job_token_scope,
            graphql_reads.PACKAGE_RULES.name: config.package_protection_rules,
            graphql_reads.CONTAINER_RULES.name: config.container_protection_rules,
        }
        return BulkReads(frozenset(name for name, section in wanted.items() if section is not None))

    def lookups(self, spec: ProjectSpec) -> Lookups:
        config = spec.config.registry
        scope = config.job_token_scope if config is not None else None
        return Lookups() if scope is None else Lookups(tuple(scope.groups), tuple(scope.projects))

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> RegistryState:
        return read_registry(api, project, notes)

    def describe(self, project: ProjectRef, current: RegistryState | None) -> Description:
        return describe_registry(project, current)
