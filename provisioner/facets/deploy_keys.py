"""A project's deploy keys (`deploy_keys`), identified by fingerprint.

A key the inventory names is enabled in the project when it is missing: GitLab's own POST joins a key
it already has (the same text, reachable by the token), and the area module enables one written
differently (see `provisioner.gitlab.deploy_keys`), so that a key is never duplicated. Its `can_push`
is the project's and is kept in shape. Its title is the key's, shared by every project that uses it,
and GitLab lets it change only while one project uses it: a different title is reported, not
written (writing it would fail silently on every run). Keys the inventory does not name are
reported, and disabled here only with `prune: true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.facets.describing import fits
from provisioner.gitlab import deploy_keys as api_keys
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.deploy_keys import DeployKeyRecord
from provisioner.gitlab.permissions import require_maintainer
from provisioner.inventory.sections.deploy_keys import DeployKey, DeployKeys, fingerprint
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

TITLE_NOTE = "GitLab keeps one title per key, for every project using it: the title is not changed"


@dataclass(frozen=True)
class _Write:
    want: DeployKey | None
    have: DeployKeyRecord | None


def identity(record: DeployKeyRecord) -> str | None:
    """The fingerprint GitLab shows, or the one its key text gives (None: text the tool cannot read)."""
    if record.fingerprint:
        return record.fingerprint
    try:
        return fingerprint(record.key)
    except ValueError:
        return None


def diff_deploy_keys(facet: str, config: DeployKeys, observed: Sequence[DeployKeyRecord]) -> list[Change]:
    have = {identity(r) or f"id {r.id}": r for r in observed}
    changes: list[Change] = []
    wanted = {want.fingerprint: want for want in config.keys}
    for print_, want in wanted.items():
        target = f"deploy key {want.title} ({print_})"
        found = have.get(print_)
        if found is None:
            after = {"title": want.title, "can_push": want.can_push}
            changes.append(Change(facet, target, Action.CREATE, after=after, payload=_Write(want, None)))
            continue
        if found.can_push != want.can_push:
            changes.append(
                Change(
                    facet,
                    target,
                    Action.UPDATE,
                    before={"can_push": found.can_push},
                    after={"can_push": want.can_push},
                    payload=_Write(want, found),
                )
            )
        if found.title != want.title:
            after = {"title": want.title, "note": TITLE_NOTE}
            changes.append(
                Change(facet, target, Action.UNMANAGED, before={"title": found.title}, after=after)
            )
    for print_, found in sorted(have.items()):
        if print_ in wanted:
            continue
        action = Action.DELETE if config.prune else Action.UNMANAGED
        before = {"title": found.title, "can_push": found.can_push}
        target = f"deploy key {found.title} ({print_})"
        changes.append(Change(facet, target, action, before=before, payload=_Write(None, found)))
    return changes


def _config(spec: ProjectSpec) -> DeployKeys | None:
    found = getattr(spec.config, "deploy_keys", None)
    return found if isinstance(found, DeployKeys) else None


class ProjectDeployKeys(FacetDefaults):
    name = "deploy_keys"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER  # admin_project [G:lib/api/deploy_keys.rb]
    section = "deploy_keys"
    schema = DeployKeys

    def wants(self, spec: ProjectSpec) -> bool:
        return _config(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> tuple[DeployKeyRecord, ...]:
        require_maintainer(project)  # every deploy key route needs admin_project
        return api_keys.deploy_keys(api, project.id)

    def diff(
        self, spec: ProjectSpec, observed: tuple[DeployKeyRecord, ...], options: PlanOptions
    ) -> list[Change]:
        config = _config(spec)
        assert config is not None
        return diff_deploy_keys(self.name, config, observed)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        for change in changes:
            write: _Write = change.payload
            if change.action is Action.CREATE and write.want is not None:
                want = write.want
                api_keys.add(api, project.id, want.title, want.key, want.fingerprint, want.can_push)
            elif change.action is Action.UPDATE and write.want is not None and write.have is not None:
                api_keys.update(api, project.id, write.have.id, can_push=write.want.can_push)
            elif change.action is Action.DELETE and write.have is not None:
                api_keys.remove(api, project.id, write.have.id)

    def read_current(
        self, api: GitLabApi, project: ProjectRef, notes: list[str]
    ) -> tuple[DeployKeyRecord, ...]:
        return api_keys.deploy_keys(api, project.id)

    def describe(self, project: ProjectRef, current: tuple[DeployKeyRecord, ...] | None) -> Description:
        out = Description()
        keys: list[dict[str, Any]] = []
        for record in sorted(current or (), key=lambda r: r.id):
            entry = {"title": record.title, "key": record.key, "can_push": record.can_push}
            if fits(DeployKey, entry, f"deploy_keys: {record.title}", out.notes):
                keys.append(entry if record.can_push else {"title": record.title, "key": record.key})
        if keys:
            out.entry["deploy_keys"] = {"keys": keys}
        return out
