"""Protected environments: who may deploy and whose approvals a deployment waits for, of a project
(`protected_environments`) and of a group by deployment tier (`group_protected_environments`).

Identity is the environment's name. A project using a blueprint gets the environments its rendering
deploys to protected too (python-package: `gitlab-packages`, `pypi` when it publishes there; see
`provisioner.blueprint.needs`), with `deploy: [maintainer]` unless the inventory names them or says
`blueprint: false`. Users and groups are named in the inventory and compared by id, looked up once per
run. GitLab Premium: on the Community Edition each target that asks gets an `unsupported` finding
("needs GitLab EE") and nothing is read. Unnamed protected environments are reported, and removed
with `prune: true`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from provisioner.blueprint.needs import Needs, Unmet, project_needs
from provisioner.errors import ProvisionerError
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    Lookups,
    PlanOptions,
    unsupported,
)
from provisioner.facets.protected_environments.current import describe_rules, read_rules
from provisioner.facets.protected_environments.diff import Observed, Who, Write, diff_environments
from provisioner.gitlab import protected_environments as api_envs
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.job_tokens import group_id_of
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.protected_environments import Container, EnvironmentRule
from provisioner.gitlab_versions import available
from provisioner.inventory.sections.protected_environments import (
    ROLE_LEVELS,
    ROLE_NAMES,
    EnvironmentProtection,
    GroupProtectedEnvironmentsSection,
    ProtectedEnvironmentsSection,
)
from provisioner.model import Action, Change, GroupRef, ProjectRef, Role, TargetKind


def project_section(spec: Any) -> ProtectedEnvironmentsSection:
    return getattr(spec.config, "protected_environments", None) or ProtectedEnvironmentsSection()


def wanted_environments(spec: Any) -> dict[str, EnvironmentProtection]:
    """The inventory's environments, and those the project's blueprint deploys to (unless named or
    turned off)."""
    config = project_section(spec)
    wanted = dict(config.environments)
    rule = config.for_blueprint()
    name = spec.config.blueprint
    if rule is not None and name is not None:
        for env in project_needs(name, spec.config.blueprint_vars, project_path=spec.path).environments:
            wanted.setdefault(env, rule)
    return wanted


def unmet_environments(config: Any, needs: Needs) -> list[Unmet]:
    section = getattr(config, "protected_environments", None) or ProtectedEnvironmentsSection()
    left = [env for env in needs.environments if env not in section.environments]
    if not left or section.for_blueprint() is not None:
        return []
    message = (
        f"blueprint {needs.blueprint} publishes from the environments {', '.join(left)}, and nothing "
        "protects them here (environments does not name them): anyone who may run a pipeline may publish"
    )
    return [Unmet(("protected_environments", "blueprint"), message)]


def _spelled(entries: Iterable[Any]) -> set[tuple[str, str, bool]]:
    return {e.key for e in entries}


def resolve(api: GitLabApi, wanted: Mapping[str, EnvironmentProtection]) -> dict[tuple[str, str, bool], Who]:
    """The ids of the users and groups the inventory names; a name GitLab does not know is an error."""
    ids: dict[tuple[str, str, bool], Who] = {}
    for rule in wanted.values():
        for kind, name, inherited in _spelled([*rule.deploy, *rule.approvals]):
            if kind == "role":
                ids[(kind, name, inherited)] = (kind, ROLE_LEVELS[name], False)
                continue
            found = api_envs.user_id_of(api, name) if kind == "user" else group_id_of(api, name)
            if found is None:
                raise ProvisionerError(f"protected environments: no {kind} {name} on this GitLab")
            ids[(kind, name, inherited)] = (kind, found, inherited)
    return ids


def _names(
    api: GitLabApi, ids: Mapping[tuple[str, str, bool], Who], rules: Iterable[EnvironmentRule]
) -> dict[Who, str]:
    """How each entry GitLab holds is said: as the inventory names it, else looked up (only entries
    the inventory does not name: drift, or an import)."""
    names = {who: _say(kind, name, inherited) for (kind, name, inherited), who in ids.items()}
    for rule in rules:
        for access in (*rule.deploy, *rule.approvals):
            who = access.who
            if who not in names:
                names[who] = _said(api, who)
    return names


def _say(kind: str, name: str, inherited: bool) -> str:
    if kind == "role":
        return name
    return f"{kind} {name}" + (" (inherited)" if inherited else "")


def _said(api: GitLabApi, who: Who) -> str:
    kind, ident, inherited = who
    if kind == "role":
        return ROLE_NAMES.get(ident, f"access level {ident}")
    found = api_envs.username_of(api, ident) if kind == "user" else api_envs.group_path_of(api, ident)
    return _say(kind, found if found is not None else f"#{ident}", inherited)


def apply_environments(
    api: GitLabApi, container: Container, target_id: int, changes: Sequence[Change]
) -> None:
    for change in changes:
        write = change.payload
        assert isinstance(write, Write)
        if change.action is Action.CREATE:
            api_envs.protect(api, container, target_id, write.body)
        elif change.action is Action.UPDATE:
            api_envs.update(api, container, target_id, write.name, write.body)
        elif change.action is Action.DELETE:
            api_envs.unprotect(api, container, target_id, write.name)


def observe_environments(
    api: GitLabApi,
    container: Container,
    target_id: int,
    wanted: Mapping[str, EnvironmentProtection],
    feature: str,
) -> Observed:
    server = api.server()
    if not available(feature, server):
        return Observed(server, None)
    ids = resolve(api, wanted)
    rules = tuple(api_envs.rules(api, container, target_id))
    return Observed(server, rules, ids, _names(api, ids, rules))


def _diff(
    facet: str, label: str, feature: str, wanted: Mapping[str, Any], observed: Observed, prune: bool
) -> list[Change]:
    if observed.rules is None:
        finding = unsupported(facet, label, feature, observed.server)
        return [finding] if finding else []
    return diff_environments(facet, wanted, observed, prune)


def _group_paths(wanted: Mapping[str, EnvironmentProtection]) -> tuple[str, ...]:
    return tuple(
        sorted({str(g.group) for r in wanted.values() for g in (*r.deploy, *r.approvals) if g.group})
    )


class ProjectProtectedEnvironments(FacetDefaults):
    name = "protected_environments"
    kind = TargetKind.PROJECT
    section = "protected_environments"
    schema = ProtectedEnvironmentsSection
    write_role = Role.MAINTAINER  # admin_protected_environments [G:app/policies/project_policy.rb]
    features = (api_envs.FEATURE,)

    def wants(self, spec: Any) -> bool:
        return bool(wanted_environments(spec)) or project_section(spec).prune

    def observe(self, api: GitLabApi, project: ProjectRef, spec: Any) -> Observed:
        if available(api_envs.FEATURE, api.server()):
            require_maintainer(project)  # GitLab answers a bare 403 otherwise
        return observe_environments(api, "projects", project.id, wanted_environments(spec), api_envs.FEATURE)

    def diff(self, spec: Any, observed: Observed, options: PlanOptions) -> list[Change]:
        wanted = wanted_environments(spec)
        return _diff(
            self.name,
            "protected environments",
            api_envs.FEATURE,
            wanted,
            observed,
            project_section(spec).prune,
        )

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_environments(api, "projects", project.id, changes)

    def lookups(self, spec: Any) -> Lookups:
        return Lookups(groups=_group_paths(wanted_environments(spec)))

    def unmet_needs(self, config: Any, needs: Needs) -> list[Unmet]:
        return unmet_environments(config, needs)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> Any:
        return read_rules(api, "projects", project.id, notes)

    def describe(self, project: ProjectRef, current: Any) -> Description:
        return describe_rules(self.section, current, project_level=True)


def _by_name(config: GroupProtectedEnvironmentsSection) -> dict[str, EnvironmentProtection]:
    return {str(tier): rule for tier, rule in config.environments.items()}


def group_section(spec: Any) -> GroupProtectedEnvironmentsSection | None:
    return getattr(spec.config, "group_protected_environments", None)


class GroupProtectedEnvironments(FacetDefaults):
    name = "group_protected_environments"
    kind = TargetKind.GROUP
    section = "group_protected_environments"
    schema = GroupProtectedEnvironmentsSection
    write_role = (
        Role.OWNER
    )  # admin_protected_environments is an Owner's on a group [G:app/policies/group_policy.rb]
    features = (api_envs.GROUP_FEATURE,)

    def wants(self, spec: Any) -> bool:
        return group_section(spec) is not None

    def observe(self, api: GitLabApi, group: GroupRef, spec: Any) -> Observed:
        config = group_section(spec)
        assert config is not None
        return observe_environments(api, "groups", group.id, _by_name(config), api_envs.GROUP_FEATURE)

    def diff(self, spec: Any, observed: Observed, options: PlanOptions) -> list[Change]:
        config = group_section(spec)
        assert config is not None
        wanted = _by_name(config)
        return _diff(
            self.name, "group protected environments", api_envs.GROUP_FEATURE, wanted, observed, config.prune
        )

    def apply(self, api: GitLabApi, group: GroupRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        apply_environments(api, "groups", group.id, changes)

    def read_current(self, api: GitLabApi, group: GroupRef, notes: list[str]) -> Any:
        return read_rules(api, "groups", group.id, notes)

    def describe(self, group: GroupRef, current: Any) -> Description:
        return describe_rules(self.section, current, project_level=False)
