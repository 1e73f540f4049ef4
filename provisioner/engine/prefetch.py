"""The prefetch step of a run: which bulk reads the inventory calls for, and how far they are trusted.

Bulk reads (see `provisioner.gitlab.bulk`) may only prove that a project complies. When a facet finds
drift in what they said, the facet observes again over REST before the drift is reported or written:
GraphQL and REST are different views of GitLab (Premium grants on protected branches, fields the
token may not see), and a write must never rest on the cheaper one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from provisioner.blueprint import LOCK_PATH, paths_to_observe, render
from provisioner.facets.base import ApplyContext, Facet, PlanOptions
from provisioner.gitlab import bulk
from provisioner.gitlab.transport import GitLabApi
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Change, ProjectRef

log = logging.getLogger(__name__)


def wanted(spec: ProjectSpec) -> bulk.Wanted:
    """The bulk reads the facets will consume for this project, from the inventory's sections."""
    config = spec.config
    reads = set()
    if spec.variables or config.variables.prune:
        reads.add("variables")
    runners = config.runners
    if runners is not None and (runners.assign or runners.create or runners.prune):
        reads.add("runners")
    registry = config.registry
    if registry is not None:
        if registry.job_token_scope is not None:
            reads.add("job_token")
        if registry.package_protection_rules is not None:
            reads.add("package_rules")
        if registry.container_protection_rules is not None:
            reads.add("container_rules")
    protection = config.protection
    if protection is not None and (protection.default_branch is not None or protection.branches):
        rules = [protection.default_branch, *protection.branches.values()]
        # GraphQL does not show unprotect levels (neither does REST on CE): REST decides those.
        if all(r is None or r.unprotect_access_level is None for r in rules):
            reads.add("protected_branches")
    blob_paths: tuple[str, ...] = ()
    texts: dict[str, str | None] = {}
    if config.blueprint is not None:
        reads.add("blobs")
        rendering = render(config.blueprint, config.blueprint_vars, project_path=spec.path)
        blob_paths = paths_to_observe(rendering)
        # Seeds are decided by their hash alone; managed files need their text only where they differ
        # from the rendering. The lock is read whenever the team edited any file since the tool last
        # wrote it (it is not rewritten for that), and nothing local says what it holds.
        texts = {f.path: f.sha256 for f in rendering.files if f.policy != "seed"}
        texts[LOCK_PATH] = None
    return replace(named(spec), reads=frozenset(reads), blob_paths=blob_paths, blob_texts=texts)


def named(spec: ProjectSpec) -> bulk.Wanted:
    """What step 1 needs of a project: its path and the paths it names (no rendering)."""
    scope = spec.config.registry.job_token_scope if spec.config.registry is not None else None
    if scope is None:
        return bulk.Wanted(spec.path)
    return bulk.Wanted(spec.path, group_ids=tuple(scope.groups), project_ids=tuple(scope.projects))


def prefetch_entities(api: GitLabApi, projects: Sequence[ProjectSpec], *, workers: int) -> bulk.PrefetchStats:
    stats = bulk.prefetch_entities(api, [named(spec) for spec in projects], workers=workers)
    log.info("prefetch of entities: %s", stats)
    return stats


def prefetch_details(api: GitLabApi, projects: Sequence[ProjectSpec], *, workers: int) -> bulk.PrefetchStats:
    stats = bulk.prefetch_details(api, [wanted(spec) for spec in projects], workers=workers)
    log.info("prefetch of details (%d projects): %s", len(projects), stats)
    return stats


class Confirmed:
    """A facet whose observations from bulk reads count only when they show no drift."""

    def __init__(self, facet: Facet, options: PlanOptions) -> None:
        self.facet = facet
        self.name = facet.name
        self._options = options

    def wants(self, spec: ProjectSpec) -> bool:
        return self.facet.wants(spec)

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Any:
        observed = self.facet.observe(api, project, spec)
        if not api.cache.has_facts(project.id):
            return observed
        try:
            drift = any(c.is_pending for c in self.facet.diff(spec, observed, self._options))
        except Exception:
            drift = True  # the REST observation will say it again, or not
        if not drift:
            return observed
        api.cache.forget_facts(project.id)
        return self.facet.observe(api, project, spec)

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        return self.facet.diff(spec, observed, options)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        self.facet.apply(api, project, changes, ctx)
