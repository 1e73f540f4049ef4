"""Direct members of a project (`members`) and of a group itself (`group_members`), by username.

Only direct members are compared: members inherited from the groups above are theirs (GitLab's
`/members` as opposed to `/members/all`). Members the inventory does not name are reported as
unmanaged, and removed only with `prune: true`. Two removals are never made, and said as findings:
- the token's own user (nor is its own role lowered, nor given an expiry): the run would lose the
  rights it works with;
- a group's last Owner (no other Owner in it or in a group above): GitLab refuses to remove or
  demote it (its GroupMemberPolicy), and a group without an Owner could not be managed at all.
Adding a member below the role it inherits from a group above is refused by GitLab with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.facets.grants import Wanted, described, expired, shown, too_new, wanted
from provisioner.gitlab import identity
from provisioner.gitlab import members as api_members
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_members import MEMBERS_READ
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab.members import OWNER, MemberRecord
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.members import Members
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import Action, Change, GroupRef, ProjectRef, Role, TargetKind

PLANNER_FEATURE = "rest:Member.access_level=planner"
SELF = "the token's own user: the tool never removes it, lowers its role or gives it an expiry"
LAST_OWNER = (
    "the group's last Owner: GitLab refuses to remove or demote it (no other Owner here or above), "
    "and a group needs one"
)


class UnknownUser(ProvisionerError):
    """The inventory names a user this GitLab does not have."""


@dataclass(frozen=True)
class ObservedMembers:
    members: tuple[MemberRecord, ...]
    server: Version
    today: date
    token_user_id: int | None = None  # read when something could be removed or lowered
    user_ids: Mapping[str, int | None] = field(default_factory=dict)  # usernames to add (lower case)
    owners_above: frozenset[int] | None = None  # a group's Owners from the groups above; None: a project


@dataclass(frozen=True)
class _Write:
    user_id: int
    level: int
    expires_at: date | None


def diff_members(facet: str, config: Members, observed: ObservedMembers) -> list[Change]:
    have = {m.username.lower(): m for m in observed.members}
    wants = {w.key: w for w in wanted(config.users)}
    changes: list[Change] = []
    lowered: list[tuple[Change, MemberRecord]] = []  # removals and demotions, checked for the last Owner
    for key, want in wants.items():
        target = f"member {want.name}"
        found = have.get(key)
        if found is not None and (found.access_level, found.expires_at) == (want.level, want.expires_at):
            continue
        finding = too_new(facet, target, want, PLANNER_FEATURE, observed.server) or expired(
            facet, target, want, observed.today
        )
        if finding is not None:
            changes.append(finding)
        elif found is None:
            user_id = observed.user_ids.get(key)
            if user_id is None:
                raise UnknownUser(f"user {want.name} does not exist on this GitLab (members.users)")
            after = shown(want.level, want.expires_at)
            write = _Write(user_id, want.level, want.expires_at)
            changes.append(Change(facet, target, Action.CREATE, after=after, payload=write))
        else:
            change = Change(
                facet,
                target,
                Action.UPDATE,
                before=shown(found.access_level, found.expires_at),
                after=shown(want.level, want.expires_at),
                payload=_Write(found.user_id, want.level, want.expires_at),
            )
            if found.user_id == observed.token_user_id and _reduces(found, want):
                change = _kept(change, SELF)
            elif found.access_level == OWNER and want.level < OWNER:
                lowered.append((change, found))
            changes.append(change)
    for key, found in sorted(have.items()):
        if key in wants:
            continue
        target = f"member {found.username}"
        before = shown(found.access_level, found.expires_at)
        if not config.prune:
            changes.append(Change(facet, target, Action.UNMANAGED, before=before))
            continue
        change = Change(facet, target, Action.DELETE, before=before, payload=_Write(found.user_id, 0, None))
        if found.user_id == observed.token_user_id:
            change = _kept(change, SELF)
        elif found.access_level == OWNER:
            lowered.append((change, found))
        changes.append(change)
    return _keep_an_owner(changes, lowered, observed)


def _reduces(found: MemberRecord, want: Wanted) -> bool:
    return want.level < found.access_level or (
        want.expires_at is not None and want.expires_at != found.expires_at
    )


def _kept(change: Change, why: str) -> Change:
    return Change(change.facet, change.target, Action.UNMANAGED, before=change.before, after={"note": why})


def _keep_an_owner(
    changes: list[Change], lowered: list[tuple[Change, MemberRecord]], observed: ObservedMembers
) -> list[Change]:
    """A group keeps an Owner: when the plan would remove or demote every Owner it has (and none is
    Owner above), the first of them stays, as a finding."""
    if observed.owners_above is None or not lowered:
        return changes
    leaving = {found.user_id for _, found in lowered}
    staying = {m.user_id for m in observed.members if m.access_level == OWNER} - leaving
    if staying or observed.owners_above:
        return changes
    first, _ = min(lowered, key=lambda pair: pair[1].user_id)
    return [_kept(c, LAST_OWNER) if c is first else c for c in changes]


def apply_members(api: GitLabApi, owner: str, changes: Sequence[Change], cache_id: int | None = None) -> None:
    for change in changes:
        write: _Write = change.payload
        if change.action is Action.CREATE:
            api_members.add(api, owner, write.user_id, write.level, write.expires_at, cache_id)
        elif change.action is Action.UPDATE:
            api_members.update(api, owner, write.user_id, write.level, write.expires_at, cache_id)
        elif change.action is Action.DELETE:
            api_members.remove(api, owner, write.user_id, cache_id)


def observe_members(
    api: GitLabApi,
    config: Members,
    current: tuple[MemberRecord, ...],
    *,
    parent_id: int | None = None,
    group: bool = False,
) -> ObservedMembers:
    """What the diff needs beyond the members: only what this plan can use is read (nothing more on
    a target that complies)."""
    names = {m.username.lower(): m for m in current}
    wants = {w.key: w for w in wanted(config.users)}
    user_ids = {key: api_members.user_id_of(api, w.name) for key, w in wants.items() if key not in names}
    reducing = [
        m
        for key, m in names.items()
        if (key not in wants and config.prune) or (key in wants and _reduces(m, wants[key]))
    ]
    token = identity.token_user(api) if reducing else None
    above: frozenset[int] | None = None
    if group:
        owners_leaving = any(m.access_level == OWNER for m in reducing)
        above = api_members.owners_of(api, parent_id) if owners_leaving and parent_id else frozenset()
    return ObservedMembers(
        members=current,
        server=api.server(),
        today=datetime.now(UTC).date(),
        token_user_id=token.id if token else None,
        user_ids=user_ids,
        owners_above=above,
    )


def describe_members(section: str, current: tuple[MemberRecord, ...] | None) -> Description:
    return described(section, "users", ((m.username, m.access_level, m.expires_at) for m in current or ()))


def _config(spec: Any, section: str) -> Members | None:
    found = getattr(spec.config, section, None)
    return found if isinstance(found, Members) else None


class ProjectMembers(FacetDefaults):
    name = "members"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER  # admin_project_member [G:app/policies/project_policy.rb]
    section = "members"
    schema = Members
    # GraphQL's projectMembers(relations: [DIRECT]) and GET /members read the same association,
    # `project.namespace_members` ([G:app/finders/members_finder.rb, lib/api/helpers/members_helpers.rb]);
    # an invitation or a user the token may not see leaves the whole list to REST (graphql_members). On a
    # stale view an add of a member who exists is refused with 409 (`member_already_exists?`, same
    # file; then read again), an update of one who left answers 404, a removal of one who left is a
    # no-op.
    writes_on_bulk_view = True

    def wants(self, spec: ProjectSpec) -> bool:
        return _config(spec, self.section) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedMembers:
        config = _config(spec, self.section)
        assert config is not None
        current = api_members.direct_members(api, f"/projects/{project.id}", cache_id=project.id)
        return observe_members(api, config, current)

    def diff(self, spec: ProjectSpec, observed: ObservedMembers, options: PlanOptions) -> list[Change]:
        config = _config(spec, self.section)
        assert config is not None
        return diff_members(self.name, config, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_members(api, f"/projects/{project.id}", changes, cache_id=project.id)

    def bulk_reads(self, spec: ProjectSpec) -> BulkReads:
        return BulkReads(frozenset({MEMBERS_READ.name})) if self.wants(spec) else BulkReads()

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> tuple[MemberRecord, ...]:
        return api_members.direct_members(api, f"/projects/{project.id}")

    def describe(self, project: ProjectRef, current: tuple[MemberRecord, ...] | None) -> Description:
        return describe_members(self.section, current)


class GroupMembers(FacetDefaults):
    """A group's own direct members (`group_members`); its `members` are its projects'."""

    name = "group_members"
    kind = TargetKind.GROUP
    write_role = (
        Role.MAINTAINER
    )  # the lowest role that may manage a group's members; what it may not, GitLab refuses per change
    section = "group_members"
    schema = Members

    def wants(self, spec: GroupSpec) -> bool:
        return _config(spec, self.section) is not None

    def observe(self, api: GitLabApi, group: GroupRef, spec: GroupSpec) -> ObservedMembers:
        config = _config(spec, self.section)
        assert config is not None
        current = api_members.direct_members(api, f"/groups/{group.id}")
        parent = group.attributes.get("parent_id")
        return observe_members(api, config, current, parent_id=int(parent) if parent else None, group=True)

    def diff(self, spec: GroupSpec, observed: ObservedMembers, options: PlanOptions) -> list[Change]:
        config = _config(spec, self.section)
        assert config is not None
        return diff_members(self.name, config, observed)

    def apply(self, api: GitLabApi, group: GroupRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        apply_members(api, f"/groups/{group.id}", changes)

    def read_current(self, api: GitLabApi, group: GroupRef, notes: list[str]) -> tuple[MemberRecord, ...]:
        return api_members.direct_members(api, f"/groups/{group.id}")

    def describe(self, group: GroupRef, current: tuple[MemberRecord, ...] | None) -> Description:
        return describe_members(self.section, current)
