"""Groups a project (`shares`) or a group itself (`group_shares`) is shared with, by the group's path.

What is shared is read from the target's own entity (`shared_with_groups`): no request of its own,
and a project's comes with the bulk read of entities. A share's identity is the shared-with group's
full path; its id is looked up once per run, when a share is to be made. GitLab cannot change a
share in place, so a new role or expiry replaces it (removed, then shared again). Shares the
inventory does not name are reported, and removed only with `prune: true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.facets.grants import described, expired, shown, too_new, wanted
from provisioner.gitlab import job_tokens
from provisioner.gitlab import shares as api_shares
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.shares import ShareRecord
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.shares import Shares
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import Action, Change, GroupRef, ProjectRef, Role, TargetKind

PLANNER_FEATURE = "rest:GroupLink.group_access=planner"


class UnknownGroup(ProvisionerError):
    """The inventory shares with a group this token cannot see."""


@dataclass(frozen=True)
class ObservedShares:
    shares: tuple[ShareRecord, ...]
    server: Version
    today: date
    group_ids: dict[str, int | None] = field(default_factory=dict)  # paths to share with (lower case)


@dataclass(frozen=True)
class _Write:
    group_id: int
    group_path: str
    level: int = 0
    expires_at: date | None = None
    old: ShareRecord | None = None  # what a replacement removes first


def diff_shares(facet: str, config: Shares, observed: ObservedShares) -> list[Change]:
    have = {s.group_path.lower(): s for s in observed.shares}
    wants = {w.key: w for w in wanted(config.groups)}
    changes: list[Change] = []
    for key, want in wants.items():
        target = f"shared with {want.name}"
        found = have.get(key)
        if found is not None and (found.access_level, found.expires_at) == (want.level, want.expires_at):
            continue
        finding = too_new(facet, target, want, PLANNER_FEATURE, observed.server) or expired(
            facet, target, want, observed.today
        )
        if finding is not None:
            changes.append(finding)
            continue
        after = shown(want.level, want.expires_at)
        if found is not None:
            before = shown(found.access_level, found.expires_at)
            write = _Write(found.group_id, found.group_path, want.level, want.expires_at, old=found)
            changes.append(Change(facet, target, Action.REPLACE, before=before, after=after, payload=write))
            continue
        group_id = observed.group_ids.get(key)
        if group_id is None:
            raise UnknownGroup(
                f"group {want.name} does not exist, or this token cannot see it ({facet}.groups)"
            )
        write = _Write(group_id, want.name, want.level, want.expires_at)
        changes.append(Change(facet, target, Action.CREATE, after=after, payload=write))
    for key, found in sorted(have.items()):
        if key in wants:
            continue
        before = shown(found.access_level, found.expires_at)
        action = Action.DELETE if config.prune else Action.UNMANAGED
        payload = _Write(found.group_id, found.group_path, old=found) if config.prune else None
        changes.append(
            Change(facet, f"shared with {found.group_path}", action, before=before, payload=payload)
        )
    return changes


def observe_shares(api: GitLabApi, config: Shares, current: tuple[ShareRecord, ...]) -> ObservedShares:
    shared = {s.group_path.lower() for s in current}
    ids = {w.key: job_tokens.group_id_of(api, w.name) for w in wanted(config.groups) if w.key not in shared}
    return ObservedShares(current, api.server(), datetime.now(UTC).date(), ids)


def describe_shares(section: str, current: tuple[ShareRecord, ...] | None) -> Description:
    return described(section, "groups", ((s.group_path, s.access_level, s.expires_at) for s in current or ()))


def _config(spec: Any, section: str) -> Shares | None:
    found = getattr(spec.config, section, None)
    return found if isinstance(found, Shares) else None


class ProjectShares(FacetDefaults):
    name = "shares"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER  # admin_project [G:lib/api/projects.rb share]
    section = "shares"
    schema = Shares

    def wants(self, spec: ProjectSpec) -> bool:
        return _config(spec, self.section) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedShares:
        config = _config(spec, self.section)
        assert config is not None
        return observe_shares(api, config, api_shares.shares_of(project.attributes))

    def diff(self, spec: ProjectSpec, observed: ObservedShares, options: PlanOptions) -> list[Change]:
        config = _config(spec, self.section)
        assert config is not None
        return diff_shares(self.name, config, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        for change in changes:
            write: _Write = change.payload
            if change.action in (Action.DELETE, Action.REPLACE) and write.old is not None:
                api_shares.unshare_project(api, project.id, write.old.group_id)
            if change.action in (Action.CREATE, Action.REPLACE):
                share = ShareRecord(write.group_id, write.group_path, write.level, write.expires_at)
                api_shares.share_project(api, project.id, share)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> tuple[ShareRecord, ...]:
        return api_shares.shares_of(project.attributes)

    def describe(self, project: ProjectRef, current: tuple[ShareRecord, ...] | None) -> Description:
        return describe_shares(self.section, current)


class GroupShares(FacetDefaults):
    """The groups a group itself is shared with (`group_shares`); its `shares` are its projects'."""

    name = "group_shares"
    kind = TargetKind.GROUP
    write_role = Role.OWNER  # admin_group [G:lib/api/groups.rb POST :id/share]
    section = "group_shares"
    schema = Shares

    def wants(self, spec: GroupSpec) -> bool:
        return _config(spec, self.section) is not None

    def observe(self, api: GitLabApi, group: GroupRef, spec: GroupSpec) -> ObservedShares:
        config = _config(spec, self.section)
        assert config is not None
        return observe_shares(api, config, api_shares.shares_of(group.attributes))

    def diff(self, spec: GroupSpec, observed: ObservedShares, options: PlanOptions) -> list[Change]:
        config = _config(spec, self.section)
        assert config is not None
        return diff_shares(self.name, config, observed)

    def apply(self, api: GitLabApi, group: GroupRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        for change in changes:
            write: _Write = change.payload
            if change.action in (Action.DELETE, Action.REPLACE) and write.old is not None:
                api_shares.unshare_group(api, group.id, write.old.group_id)
            if change.action in (Action.CREATE, Action.REPLACE):
                api_shares.share_group(api, group.id, write.group_id, write.level, write.expires_at)

    def read_current(self, api: GitLabApi, group: GroupRef, notes: list[str]) -> tuple[ShareRecord, ...]:
        return api_shares.group_shares(api, group.id)

    def describe(self, group: GroupRef, current: tuple[ShareRecord, ...] | None) -> Description:
        return describe_shares(self.section, current)
