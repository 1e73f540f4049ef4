"""Protected branches (the default branch first) and protected tags, which release jobs rely on.

Levels are named in the inventory (no_one, developer, maintainer, admin = 0, 30, 40, 60). The default
branch is the project's; an empty repository has none yet, so the inventory's `settings.default_branch`
or `main` is protected (GitLab protects names, existing or not). A change of force push is patched in
place; a change of levels is a delete and a create, because GitLab CE cannot patch levels (see
`provisioner.gitlab.protection`): the branch is unprotected for the moment between the two requests.
Protected tags have no update at all. Protected refs the inventory does not name are reported only.
Unprotect levels are the Enterprise Edition's: on the Community Edition they are said to need it, and
the rest of the rule is managed without them.
A level or flag the inventory leaves out of a rule is GitLab's: written (with the schema's default)
when the rule is created, kept as GitLab has it when the rule is changed or replaced.

A project that uses a blueprint whose release jobs run on protected tags (`release_tags` in its
manifest: python-package's v*) gets that tag rule too, unless `tags` names a rule covering it or
`release_tags: false` says not to (see `provisioner.blueprint.needs`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint.needs import Needs, Unmet, covers, declared_needs
from provisioner.errors import GitLabError, Unobservable
from provisioner.facets.base import (
    ApplyContext,
    Description,
    FacetDefaults,
    PlanOptions,
    Requirement,
    lacking,
    unsupported_keys,
)
from provisioner.facets.protection_current import (
    ProtectionState,
    describe_protection,
    read_protection,
)
from provisioner.gitlab import graphql_reads
from provisioner.gitlab import protection as api_protection
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.protection import BranchRule, TagRule
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import REF_ACCESS_LEVELS, BranchProtection, Protection, TagProtection
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

_LEVEL_NAMES = {value: name for name, value in REF_ACCESS_LEVELS.items()}
_BRANCH_LEVELS = ("push_access_level", "merge_access_level", "unprotect_access_level")
UNPROTECT = "rest:ProtectedBranch.unprotect_access_levels"


@dataclass(frozen=True)
class ObservedProtection:
    default_branch: str
    branches: tuple[BranchRule, ...] = ()
    tags: tuple[TagRule, ...] = ()
    server: Version | None = None  # None: not known, everything is taken to exist


def protection_requirements(config: Protection) -> tuple[Requirement, ...]:
    named = [("default branch", "default_branch", config.default_branch)]
    named += [(f'protected branch "{n}"', f"branches.{n}", rule) for n, rule in config.branches.items()]
    return tuple(
        Requirement(target, f"protection.{key}.unprotect_access_level", UNPROTECT)
        for target, key, rule in named
        if rule is not None and rule.unprotect_access_level is not None
    )


def honourable(config: Protection, cannot: frozenset[str]) -> Protection:
    """`config` without the unprotect levels this GitLab does not have."""

    def without(key: str, rule: BranchProtection) -> BranchProtection:
        if f"protection.{key}.unprotect_access_level" not in cannot:
            return rule
        return rule.model_copy(update={"unprotect_access_level": None})

    if not cannot:
        return config
    default = config.default_branch
    return config.model_copy(
        update={
            "default_branch": None if default is None else without("default_branch", default),
            "branches": {n: without(f"branches.{n}", rule) for n, rule in config.branches.items()},
        }
    )


@dataclass(frozen=True)
class _Branch:
    name: str
    body: Mapping[str, Any]  # create: the whole rule; update: what PATCH changes
    previous: Mapping[str, Any] | None = None  # replace: the rule as it was, to restore if the create fails


@dataclass(frozen=True)
class _Tag:
    name: str
    create_access_level: int
    previous: int | None = None


def default_branch_name(project: ProjectRef, spec: ProjectSpec) -> str:
    return project.default_branch or spec.config.settings.default_branch or "main"


def wanted_branches(config: Protection, default_branch: str) -> dict[str, BranchProtection]:
    wanted = dict(config.branches)
    if config.default_branch is not None:
        wanted.setdefault(default_branch, config.default_branch)  # an entry under its own name wins
    return wanted


def wanted_tags(config: Protection, release_tags: str | None) -> dict[str, TagProtection]:
    """The inventory's tag rules, and the blueprint's release tags unless a rule covers them or the
    inventory turned that off."""
    wanted = dict(config.tags)
    if release_tags is not None and config.release_tags and not any(covers(n, release_tags) for n in wanted):
        wanted[release_tags] = TagProtection(create_access_level="maintainer")
    return wanted


def protection_of(spec: ProjectSpec) -> Protection:
    return spec.config.protection or Protection()


def release_tags_of(spec: ProjectSpec) -> str | None:
    """The protected tags the project's blueprint releases from (None without a blueprint)."""
    return declared_needs(spec.config.blueprint).release_tags if spec.config.blueprint else None


def release_tags_protected(spec: ProjectSpec) -> bool:
    """Whether the project's release tags are protected, as far as the inventory says (what the
    blueprint's rendered texts may claim)."""
    need = release_tags_of(spec)
    return need is None or any(covers(name, need) for name in wanted_tags(protection_of(spec), need))


def observe_protection(api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedProtection:
    config = protection_of(spec)
    require_maintainer(project)
    default_branch = default_branch_name(project, spec)
    branches = (
        api_protection.protected_branches(api, project.id) if wanted_branches(config, default_branch) else []
    )
    wanted = wanted_tags(config, release_tags_of(spec))
    tags = api_protection.protected_tags(api, project.id) if wanted else []
    return ObservedProtection(default_branch, tuple(branches), tuple(tags), api.server())


def diff_protection(
    facet: str, config: Protection, observed: ObservedProtection, release_tags: str | None = None
) -> list[Change]:
    wanted = wanted_branches(config, observed.default_branch)
    have = {b.name: b for b in observed.branches}
    changes: list[Change] = []
    for name, want in wanted.items():
        changes += _branch_changes(facet, name, want, have.get(name))
    changes += _unnamed(facet, "protected branch", have, wanted)
    tags = {t.name: t for t in observed.tags}
    wanted_tag_rules = wanted_tags(config, release_tags)
    for name, tag in wanted_tag_rules.items():
        changes += _tag_changes(facet, name, tag, tags.get(name))
    changes += _unnamed(facet, "protected tag", tags, wanted_tag_rules)
    return changes


def unmet_release_tags(config: Protection, needs: Needs) -> list[Unmet]:
    """The blueprint's release tags, when this inventory leaves them unprotected."""
    need = needs.release_tags
    if need is None or config.release_tags or any(covers(name, need) for name in config.tags):
        return []
    message = (
        f"blueprint {needs.blueprint} releases only from protected tags {need}, and nothing protects "
        f"them here (tags names no rule covering {need}): its release jobs will never run"
    )
    return [Unmet(("protection", "release_tags"), message)]


def _branch_changes(facet: str, name: str, want: BranchProtection, have: BranchRule | None) -> list[Change]:
    target = f'protected branch "{name}"'
    levels = {level: getattr(want, level) for level in _BRANCH_LEVELS if getattr(want, level) is not None}
    if have is None:
        wanted: dict[str, Any] = {**levels, "allow_force_push": want.allow_force_push}
        body = {"name": name, **{k: REF_ACCESS_LEVELS[v] for k, v in levels.items()}}
        body["allow_force_push"] = want.allow_force_push
        return [Change(facet, target, Action.CREATE, after=wanted, payload=_Branch(name, body))]
    named = want.model_fields_set
    levels = {level: value for level, value in levels.items() if level in named}
    wanted = {**levels, "allow_force_push": want.allow_force_push} if "allow_force_push" in named else levels
    if "unprotect_access_level" in levels and have.unprotect is None:
        raise Unobservable(
            f"{target}: this GitLab does not show unprotect levels (a Premium feature); "
            "leave unprotect_access_level out"
        )
    observed = {
        "push_access_level": _shown(have.push),
        "merge_access_level": _shown(have.merge),
        "unprotect_access_level": _shown(have.unprotect or frozenset()),
        "allow_force_push": have.allow_force_push,
    }
    differing = [k for k, v in wanted.items() if observed[k] != v]
    if not differing:
        return []
    before = {k: observed[k] for k in differing}
    after = {k: wanted[k] for k in differing}
    if differing == ["allow_force_push"]:
        body = {"allow_force_push": want.allow_force_push}
        return [Change(facet, target, Action.UPDATE, before, after, payload=_Branch(name, body))]
    previous: dict[str, Any] = {
        "name": name,
        "push_access_level": _strictest(have.push),
        "merge_access_level": _strictest(have.merge),
        "allow_force_push": have.allow_force_push,
    }
    if have.unprotect:
        previous["unprotect_access_level"] = _strictest(have.unprotect)
    # The rule is created again: what the inventory leaves out is written as GitLab had it.
    body = {**previous, **{k: REF_ACCESS_LEVELS[v] for k, v in wanted.items() if k in levels}}
    body["allow_force_push"] = wanted.get("allow_force_push", have.allow_force_push)
    return [Change(facet, target, Action.REPLACE, before, after, payload=_Branch(name, body, previous))]


def _strictest(levels: frozenset[int]) -> int:
    """One level standing for a set of them when a rule must be restored: no one, else the highest."""
    return 0 if not levels or 0 in levels else max(levels)


def _tag_changes(facet: str, name: str, want: TagProtection, have: TagRule | None) -> list[Change]:
    target = f'protected tag "{name}"'
    after = {"create_access_level": want.create_access_level}
    payload = _Tag(name, REF_ACCESS_LEVELS[want.create_access_level])
    if have is None:
        return [Change(facet, target, Action.CREATE, after=after, payload=payload)]
    if "create_access_level" not in want.model_fields_set:
        return []  # protected, at the level GitLab has: the inventory says no other
    before = {"create_access_level": _shown(have.create)}
    if before == after:
        return []
    payload = _Tag(name, payload.create_access_level, previous=_strictest(have.create))
    return [Change(facet, target, Action.REPLACE, before, after, payload=payload)]


def _shown(levels: frozenset[int]) -> Any:
    """A level by name; several (Premium) as a list; none as None."""
    names = [_LEVEL_NAMES.get(level, level) for level in sorted(levels)]
    return names[0] if len(names) == 1 else (names or None)


def _unnamed(facet: str, kind: str, have: Mapping[str, Any], wanted: Iterable[str]) -> list[Change]:
    if not wanted:
        return []
    named = set(wanted)
    return [Change(facet, f'{kind} "{name}"', Action.UNMANAGED) for name in sorted(have) if name not in named]


def apply_protection(api: GitLabApi, project_id: int, changes: Sequence[Change]) -> None:
    for change in changes:
        if isinstance(change.payload, _Branch):
            _apply_branch(api, project_id, change.action, change.payload)
        elif isinstance(change.payload, _Tag):
            _apply_tag(api, project_id, change.action, change.payload)


def _apply_branch(api: GitLabApi, project_id: int, action: Action, plan: _Branch) -> None:
    if action is Action.UPDATE:
        api_protection.update_branch(api, project_id, plan.name, plan.body)
        return
    if action is Action.REPLACE:
        api_protection.unprotect_branch(api, project_id, plan.name)
    try:
        api_protection.protect_branch(api, project_id, plan.body)
    except GitLabError:
        if plan.previous is not None:
            _restore(lambda: api_protection.protect_branch(api, project_id, plan.previous or {}))
        raise


def _apply_tag(api: GitLabApi, project_id: int, action: Action, plan: _Tag) -> None:
    if action is Action.REPLACE:
        api_protection.unprotect_tag(api, project_id, plan.name)
    try:
        api_protection.protect_tag(api, project_id, plan.name, plan.create_access_level)
    except GitLabError:
        if plan.previous is not None:
            _restore(lambda: api_protection.protect_tag(api, project_id, plan.name, plan.previous or 0))
        raise


def _restore(protect_again: Callable[[], None]) -> None:
    """A replaced rule whose new version GitLab refuses gets its old one back: the tool never leaves
    a ref unprotected. The refusal stays the error reported."""
    with contextlib.suppress(GitLabError):
        protect_again()


class ProjectProtection(FacetDefaults):
    name = "protection"
    kind = TargetKind.PROJECT
    section = "protection"
    # admin_protected_branch, manage_protected_tags: Maintainer [G:app/policies/project_policy.rb]
    write_role = Role.MAINTAINER
    schema = Protection
    features = (UNPROTECT,)
    # Not on the bulk view. Rule (2) fails: a level change is a DELETE and a POST, which no stale view
    # makes GitLab refuse -- the POST writes the levels the inventory leaves out as the view showed them,
    # so one changed since would be overwritten; only a create of a rule that exists meanwhile is
    # refused (409 "Protected branch '...' already exists" [G:lib/api/protected_branches.rb]). Rule (1)
    # holds on CE only: on EE, GraphQL has the unprotect levels and the user and group of a grant only
    # in fields the bulk read does not ask for [G:ee/app/graphql/ee/types/branch_rules/
    # branch_protection_type.rb `unprotect_access_levels`, ee/app/graphql/ee/types/branch_protections/
    # base_access_level_type.rb `user`, `group`], and graphql_reads tells grants from role levels by
    # their description where REST has their ids.
    writes_on_bulk_view = False

    def requirements(self, spec: ProjectSpec) -> tuple[Requirement, ...]:
        config = spec.config.protection
        return () if config is None else protection_requirements(config)

    def wants(self, spec: ProjectSpec) -> bool:
        config = protection_of(spec)
        return bool(config.default_branch or config.branches or wanted_tags(config, release_tags_of(spec)))

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedProtection:
        return observe_protection(api, project, spec)

    def diff(self, spec: ProjectSpec, observed: ObservedProtection, options: PlanOptions) -> list[Change]:
        asked = self.requirements(spec)
        config = honourable(protection_of(spec), unsupported_keys(asked, observed.server))
        found = diff_protection(self.name, config, observed, release_tags_of(spec))
        return [*lacking(self.name, asked, observed.server), *found]

    def unmet_needs(self, config: Any, needs: Needs) -> list[Unmet]:
        return unmet_release_tags(getattr(config, "protection", None) or Protection(), needs)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_protection(api, project.id, changes)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        config = protection_of(spec)
        if config.default_branch is None and not config.branches:
            return BulkReads()
        rules = [config.default_branch, *config.branches.values()]
        # GraphQL does not show unprotect levels (neither does REST on CE): REST decides those.
        if any(r is not None and r.unprotect_access_level is not None for r in rules):
            return BulkReads()
        return BulkReads(frozenset({graphql_reads.PROTECTED_BRANCHES.name}))

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> ProtectionState:
        return read_protection(api, project, notes)

    def describe(self, project: ProjectRef, current: ProtectionState | None) -> Description:
        return describe_protection(project, current)
