"""The prefetch step of a run: which bulk reads the facets call for, and how far they are trusted.

Each facet says what it will take from bulk reads for a project (`bulk_reads`) and which paths it will
look up (`lookups`); this module asks `provisioner.gitlab.bulk` for the union. Bulk reads may only
prove that a project complies: when a facet finds drift in what they said, the facet observes again
over REST what its observation took from them before the drift is reported or written. GraphQL and
REST are different views of GitLab (Premium grants on protected branches, fields the token may not
see), and a write must never rest on the cheaper one -- except where the facet declares a bulk read as
good as REST for its writes (`writes_on_bulk_view`, see `provisioner.facets.base`): trust is per read,
by the run cache's name for it (what `GitLabApi.bulk_taken` lists). On drift, the trusted reads stand
and count as REST answers for the verification after the writes; the others are dropped and the facet
observes again, reading them over REST (the trusted ones still come from the cache).
Each facet's distrust is its own: one facet's drift does not send the next facets to REST.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

from provisioner.facets.base import ApplyContext, Facet, PlanOptions
from provisioner.gitlab import bulk
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_batches import READS
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Change, TargetRef

log = logging.getLogger(__name__)


def wanted(spec: ProjectSpec, facets: Sequence[Facet[Any]], *, writing: bool = True) -> bulk.Wanted:
    """The bulk reads the facets will consume for this project (in a run that writes nothing, not
    those asked only `when_writing`)."""
    reads = functools.reduce(
        lambda a, b: a | b, (f.bulk_reads(spec) for f in _mine(spec, facets)), BulkReads()
    )
    base = named(spec, facets)
    names = reads.reads if writing else frozenset(r for r in reads.reads if not READS[r].when_writing)
    return bulk.Wanted(
        spec.path,
        reads=names,
        blob_paths=reads.blob_paths,
        blob_texts=reads.blob_texts,
        proposal_branches=reads.proposal_branches,
        group_ids=base.group_ids,
        project_ids=base.project_ids,
    )


def named(spec: ProjectSpec, facets: Sequence[Facet[Any]]) -> bulk.Wanted:
    """What step 1 needs of a project: its path and the paths its facets name (cheap: no rendering)."""
    lookups = [f.lookups(spec) for f in _mine(spec, facets)]
    groups = tuple(dict.fromkeys(g for found in lookups for g in found.groups))
    projects = tuple(dict.fromkeys(p for found in lookups for p in found.projects))
    return bulk.Wanted(spec.path, group_ids=groups, project_ids=projects)


def _mine(spec: ProjectSpec, facets: Sequence[Facet[Any]]) -> list[Facet[Any]]:
    return [f for f in facets if f.kind is spec.kind and f.wants(spec)]


def prefetch_entities(
    api: GitLabApi, projects: Sequence[ProjectSpec], facets: Sequence[Facet[Any]], *, workers: int
) -> bulk.PrefetchStats:
    stats = bulk.prefetch_entities(api, [named(spec, facets) for spec in projects], workers=workers)
    log.info("prefetch of entities: %s", stats)
    return stats


def prefetch_details(
    api: GitLabApi,
    projects: Sequence[ProjectSpec],
    facets: Sequence[Facet[Any]],
    *,
    workers: int,
    writing: bool = True,
) -> bulk.PrefetchStats:
    found = [wanted(spec, facets, writing=writing) for spec in projects]
    stats = bulk.prefetch_details(api, found, workers=workers)
    log.info("prefetch of details (%d projects): %s", len(projects), stats)
    return stats


def trusted_reads(facet: Facet[Any], taken: frozenset[str]) -> frozenset[str]:
    """Of the bulk reads a facet's observation took, those it declares as good as REST for its writes."""
    declared = facet.writes_on_bulk_view
    if isinstance(declared, bool):
        return taken if declared else frozenset()
    return taken & declared


class Confirmed:
    """A facet whose observations from bulk reads count only when they show no drift."""

    def __init__(self, facet: Facet[Any], options: PlanOptions) -> None:
        self.facet = facet
        self.name = facet.name
        self.kind = facet.kind
        self.section = facet.section
        self.schema = facet.schema
        self.features = facet.features
        self.write_role = facet.write_role
        self.writes_on_bulk_view = facet.writes_on_bulk_view
        self._options = options

    def wants(self, spec: Any) -> bool:
        return self.facet.wants(spec)

    def observe(self, api: GitLabApi, target: TargetRef, spec: Any) -> Any:
        api.bulk_taken(target)  # what an earlier facet took is not this one's
        observed = self.facet.observe(api, target, spec)
        taken = api.bulk_taken(target)
        if not taken:
            return observed
        trusted = trusted_reads(self.facet, taken)
        try:
            drift = any(c.is_pending for c in self.facet.diff(spec, observed, self._options))
        except Exception:
            drift, trusted = True, frozenset()  # the REST observation will say it again, or not
        if not drift:
            return observed
        if trusted:
            api.trust_bulk(target, trusted)
        if trusted == taken:
            return observed
        api.distrust_bulk(target, taken - trusted)
        return self.facet.observe(api, target, spec)

    def diff(self, spec: Any, observed: Any, options: PlanOptions) -> list[Change]:
        return self.facet.diff(spec, observed, options)

    def apply(self, api: GitLabApi, target: TargetRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        self.facet.apply(api, target, changes, ctx)

    def bulk_reads(self, spec: Any) -> BulkReads:
        return self.facet.bulk_reads(spec)

    def lookups(self, spec: Any) -> Any:
        return self.facet.lookups(spec)

    def requirements(self, spec: Any) -> Any:
        return self.facet.requirements(spec)

    def secrets(self, spec: Any) -> Any:
        return self.facet.secrets(spec)

    def read_current(self, api: GitLabApi, target: Any, notes: list[str]) -> Any:
        return self.facet.read_current(api, target, notes)

    def unmet_needs(self, config: Any, needs: Any) -> Any:
        return self.facet.unmet_needs(config, needs)

    def describe(self, target: Any, current: Any) -> Any:
        return self.facet.describe(target, current)

    def settle(self, described: Any) -> None:
        self.facet.settle(described)
