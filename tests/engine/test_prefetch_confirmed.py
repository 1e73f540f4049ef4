"""Confirmed.observe: what a drifting facet took from bulk reads is read again over REST, only that
facet's; a facet whose bulk view is as good as REST for its writes keeps it, as a REST answer -- all of
it, or the reads it names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.engine.prefetch import Confirmed
from provisioner.facets.base import ApplyContext, FacetDefaults, PlanOptions
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.cache import MISSING
from provisioner.model import Action, Change, ProjectRef, Role, TargetKind

PROJECT = ProjectRef(7, "platform/billing", "main")


@dataclass
class Reading(FacetDefaults):
    """A facet that reads one fact: from the bulk reads when they hold it, else 'over REST'."""

    name: str
    key: str
    wanted: str
    writes_on_bulk_view: bool | frozenset[str] = False
    kind: TargetKind = TargetKind.PROJECT
    section: str | None = None
    write_role: Role = Role.MAINTAINER

    def wants(self, spec: Any) -> bool:
        return True

    def observe(self, api: GitLabApi, target: Any, spec: Any) -> str:
        found = api.cache.get(target.id, self.key)
        return "over REST" if found is MISSING else str(found)

    def diff(self, spec: Any, observed: str, options: PlanOptions) -> list[Change]:
        return [] if observed == self.wanted else [Change(self.name, self.key, Action.UPDATE)]

    def apply(self, api: GitLabApi, target: Any, changes: Sequence[Change], ctx: ApplyContext) -> None:
        raise AssertionError("not applied here")


def _api() -> GitLabApi:
    api = GitLabApi("http://127.0.0.1:9", "token")
    api.cache.put(PROJECT.id, "a", "stale")
    api.cache.put(PROJECT.id, "b", "as wanted")
    return api


def test_a_drifting_facet_reads_again_only_what_it_took_from_bulk_reads() -> None:
    api = _api()
    first = Confirmed(Reading("first", "a", "over REST"), PlanOptions())
    second = Confirmed(Reading("second", "b", "as wanted"), PlanOptions())

    assert first.observe(api, PROJECT, None) == "over REST"  # the bulk view drifted: read again
    assert api.cache.get(PROJECT.id, "a") is MISSING
    # The next facet's bulk view still stands: one facet's drift says nothing about another's.
    assert api.cache.get(PROJECT.id, "b") == "as wanted"
    assert second.observe(api, PROJECT, None) == "as wanted"


def test_a_facet_whose_bulk_view_suffices_plans_on_it_and_keeps_it_as_a_rest_answer() -> None:
    api = _api()
    facet = Confirmed(Reading("trusting", "a", "wanted", writes_on_bulk_view=True), PlanOptions())

    assert facet.observe(api, PROJECT, None) == "stale"  # the drift stands: the write rests on it

    api.writing(PROJECT)  # writing forgets what bulk reads said; what counts as an answer stays
    assert api.cache.get(PROJECT.id, "a") == "stale"
    assert api.cache.get(PROJECT.id, "b") is MISSING


def test_a_facet_with_no_drift_keeps_the_bulk_view_as_a_bulk_view() -> None:
    api = _api()
    facet = Confirmed(Reading("trusting", "b", "as wanted", writes_on_bulk_view=True), PlanOptions())

    assert facet.observe(api, PROJECT, None) == "as wanted"

    api.writing(PROJECT)
    assert api.cache.get(PROJECT.id, "b") is MISSING  # nothing to write on: not promoted


class Failing(Reading):
    def diff(self, spec: Any, observed: str, options: PlanOptions) -> list[Change]:
        if observed != "over REST":
            raise ValueError("cannot tell from this view")
        return []


def test_a_bulk_view_the_facet_cannot_judge_is_read_again_even_where_it_suffices_for_writes() -> None:
    api = _api()
    facet = Confirmed(Failing("failing", "a", "", writes_on_bulk_view=True), PlanOptions())

    assert facet.observe(api, PROJECT, None) == "over REST"


@dataclass
class ReadingTwo(Reading):
    """A facet whose observation rests on two facts ("a" and "b"), and drifts while either is stale."""

    def observe(self, api: GitLabApi, target: Any, spec: Any) -> str:
        found = [api.cache.get(target.id, key) for key in ("a", "b")]
        return " + ".join("over REST" if f is MISSING else str(f) for f in found)


def test_a_facet_trusting_some_reads_reads_only_the_others_again_and_keeps_the_trusted_as_answers() -> None:
    api = _api()
    facet = Confirmed(
        ReadingTwo("partly", "ab", "wanted", writes_on_bulk_view=frozenset({"b"})), PlanOptions()
    )

    # "a" is not trusted: dropped and read again; "b" still comes from the cache, kept as an answer.
    assert facet.observe(api, PROJECT, None) == "over REST + as wanted"
    assert api.cache.get(PROJECT.id, "a") is MISSING
    api.writing(PROJECT)
    assert api.cache.get(PROJECT.id, "b") == "as wanted"


def test_a_facet_trusting_every_read_it_took_is_not_observed_again() -> None:
    api = _api()
    facet = Confirmed(
        ReadingTwo("wholly", "ab", "wanted", writes_on_bulk_view=frozenset({"a", "b", "c"})), PlanOptions()
    )

    assert facet.observe(api, PROJECT, None) == "stale + as wanted"
    api.writing(PROJECT)
    assert (api.cache.get(PROJECT.id, "a"), api.cache.get(PROJECT.id, "b")) == ("stale", "as wanted")
