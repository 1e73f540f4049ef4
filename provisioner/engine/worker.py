"""One target (a project or a group) through find -> observe -> diff -> apply -> verify. Errors become
values here.

A failure in one facet is recorded as a `Problem` and the other facets go on; nothing here exits or
prints. After apply, every facet that wrote is observed again and must diff to nothing: what is
left "did not stick" (GitLab silently dropped it) and is reported, not rewritten forever. Observed
again means from GitLab's answers: what the answers to the writes showed (the area modules keep it,
see `provisioner.gitlab.cache`) is not read a second time; everything else is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from provisioner.engine import access, attributes
from provisioner.errors import (
    Forbidden,
    GitLabError,
    ProvisionerError,
    Rejected,
    Stale,
    Unauthorized,
    Unobservable,
)
from provisioner.facets.base import Anchor, ApplyContext, Facet, PlanOptions
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import TargetSpec
from provisioner.model import Action, Change, Problem, ProblemKind, ProjectResult, TargetRef
from provisioner.report.values import yaml_value
from provisioner.secrets import redact

log = logging.getLogger(__name__)


@dataclass
class _Outcome:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """What one target is worked on with: its anchor, its kind's facets, and how."""

    anchor: Anchor
    facets: Sequence[Facet[Any]]
    apply: bool
    options: PlanOptions
    ctx: ApplyContext


_ROLE_HINT = "this token's user needs a higher role here (Maintainer, for most of what is managed)"


def problem_from(target: str, facet: str | None, exc: BaseException) -> Problem:
    if isinstance(exc, Forbidden):
        # The cause is the token, not the request: said without the path, it is said once (collapse).
        hint = "" if "scope" in exc.message else f": {_ROLE_HINT}"
        return Problem(target, facet, redact(f"{exc.message}{hint}"), ProblemKind.PERMISSION)
    if isinstance(exc, Unauthorized | Unobservable):
        kind = ProblemKind.PERMISSION
    elif isinstance(exc, Rejected) and exc.status == 409:
        kind = ProblemKind.CONFLICT
    elif isinstance(exc, Stale):
        kind = ProblemKind.STALE
    elif isinstance(exc, ProvisionerError):
        kind = ProblemKind.ERROR
    else:
        log.exception("internal error on %s (%s)", target, facet)
        return Problem(
            target,
            facet,
            f"internal error ({type(exc).__name__}); details in the log file",
            ProblemKind.INTERNAL,
        )
    return Problem(target, facet, redact(str(exc)), kind)


def _plan(
    api: GitLabApi, ref: TargetRef, spec: TargetSpec, facets: Sequence[Facet[Any]], options: PlanOptions
) -> _Outcome:
    out = _Outcome()
    for facet in facets:
        if not facet.wants(spec):
            continue
        out.facets.append(facet.name)
        try:
            observed = facet.observe(api, ref, spec)
            out.changes.extend(facet.diff(spec, observed, options))
        except Exception as exc:
            out.problems.append(problem_from(spec.name, facet.name, exc))
    return out


def process_target(
    api: GitLabApi,
    spec: TargetSpec,
    job: Job,
    *,
    expected: Sequence[Mapping[str, Any]] | None = None,
    replan: bool = True,
) -> ProjectResult:
    """`expected`: the pending changes a person approved (a saved or shown plan); apply refuses to
    write anything else, so that what is applied is exactly what was shown. Without one, a target
    whose apply found GitLab changed under it (`Stale`: a team pushed) is planned again, once."""
    try:
        ref = job.anchor.find(api, spec)
    except Exception as exc:
        return ProjectResult(spec.name, problems=(problem_from(spec.name, None, exc),))
    if ref is None:
        return _missing(api, spec, job, expected=expected)
    try:
        return _converge(api, ref, spec, job, expected=expected, replan=replan)
    finally:
        api.done(ref)  # what was read of it served this run's plan and verification


def _converge(
    api: GitLabApi,
    ref: TargetRef,
    spec: TargetSpec,
    job: Job,
    *,
    expected: Sequence[Mapping[str, Any]] | None,
    replan: bool,
) -> ProjectResult:
    planned = _plan(api, ref, spec, job.facets, job.options)
    if job.apply and expected is not None and _public(planned.changes) != list(expected):
        stale = Problem(
            spec.name,
            None,
            "changed since the plan was made; nothing written: plan again",
            ProblemKind.STALE_PLAN,
        )
        return ProjectResult(
            spec.name,
            tuple(planned.changes),
            problems=(*planned.problems, stale),
            facets=tuple(planned.facets),
        )
    if not job.apply or not any(c.is_pending for c in planned.changes):
        # A plan keeps one problem per facet (check's JUnit has a case per facet); apply says a cause once.
        said = collapse(planned.problems) if job.apply else tuple(planned.problems)
        return ProjectResult(spec.name, tuple(planned.changes), problems=said, facets=tuple(planned.facets))
    try:
        refused = access.role_falls_short(api, ref, spec, job.facets)
    except GitLabError as exc:
        refused = problem_from(spec.name, None, exc)
    if refused is not None:
        return ProjectResult(
            spec.name, tuple(planned.changes), problems=(refused,), facets=tuple(planned.facets)
        )
    attempted = {c.facet for c in planned.changes if c.is_pending}
    failed, problems = _apply(api, ref, spec, job, planned.changes)
    if replan and expected is None and any(p.kind is ProblemKind.STALE for p in problems):
        api.replanning(ref)
        return _planned_again(api, spec, job, planned.changes, failed, problems)
    remaining, proposed, verify_problems = _verify(api, spec, job, attempted, failed)
    # What apply achieved is what verify no longer finds: exact even when a facet failed halfway.
    still = {(c.facet, c.target) for c in remaining}
    applied = [c for c in planned.changes if c.is_pending and (c.facet, c.target) not in still]
    return ProjectResult(
        spec.name,
        planned=tuple(planned.changes),
        applied=tuple(applied),
        remaining=tuple(remaining),
        problems=collapse(planned.problems + problems + verify_problems),
        facets=tuple(planned.facets),
        proposed=tuple(proposed),
    )


def _public(changes: Sequence[Change]) -> list[dict[str, Any]]:
    return [c.public() for c in changes if c.is_pending]


def _planned_again(
    api: GitLabApi,
    spec: TargetSpec,
    job: Job,
    first: Sequence[Change],
    failed: set[str],
    problems: Sequence[Problem],
) -> ProjectResult:
    """GitLab moved under the first plan: what it wrote stands, the rest is observed and planned anew."""
    for problem in problems:
        if problem.kind is ProblemKind.STALE:
            log.warning("%s: %s: %s; planning it again", spec.name, problem.facet, problem.message)
    done = tuple(c for c in first if c.is_pending and c.facet not in failed)
    again = process_target(api, spec, job, replan=False)
    return ProjectResult(
        spec.name,
        planned=(*done, *again.planned),
        applied=(*done, *again.applied),
        remaining=again.remaining,
        problems=again.problems,
        facets=again.facets,
        proposed=again.proposed,
    )


def collapse(problems: Sequence[Problem]) -> tuple[Problem, ...]:
    """One problem per cause: the same permission problem in several facets is said once."""
    out: list[Problem] = []
    facets_of: dict[tuple[str, str], list[str]] = {}
    for problem in problems:
        key = (problem.kind, problem.message)
        if problem.kind is ProblemKind.PERMISSION and key in facets_of:
            facets_of[key].append(problem.facet or "project")
            continue
        facets_of[key] = [problem.facet or "project"]
        out.append(problem)
    return tuple(
        p
        if len(facets_of[(p.kind, p.message)]) == 1
        else Problem(p.project, None, f"{p.message} ({', '.join(facets_of[(p.kind, p.message)])})", p.kind)
        for p in out
    )


def _missing(
    api: GitLabApi, spec: TargetSpec, job: Job, *, expected: Sequence[Mapping[str, Any]] | None
) -> ProjectResult:
    creation = job.anchor.creation(spec)
    if creation is None:
        problem = Problem(spec.name, None, job.anchor.missing(spec), ProblemKind.NOT_FOUND)
        return ProjectResult(spec.name, problems=(problem,))
    if not job.apply:
        return ProjectResult(spec.name, planned=(creation,), facets=(creation.facet,))
    if expected is not None and [creation.public()] != list(expected)[:1]:
        stale = Problem(
            spec.name,
            None,
            "changed since the plan was made; nothing written: plan again",
            ProblemKind.STALE_PLAN,
        )
        return ProjectResult(spec.name, planned=(creation,), problems=(stale,))
    try:
        job.anchor.create(api, spec)
    except Exception as exc:
        return ProjectResult(
            spec.name, planned=(creation,), problems=(problem_from(spec.name, creation.facet, exc),)
        )
    # The facets converge in the same run, against the new target.
    rest = process_target(api, spec, job)
    return ProjectResult(
        spec.name,
        planned=(creation, *rest.planned),
        applied=(creation, *rest.applied),
        remaining=rest.remaining,
        problems=rest.problems,
        facets=(creation.facet, *rest.facets),
        proposed=rest.proposed,
    )


def _apply(
    api: GitLabApi, ref: TargetRef, spec: TargetSpec, job: Job, changes: Sequence[Change]
) -> tuple[set[str], list[Problem]]:
    """Apply facet by facet, after the attributes of the target every facet sets (one write, see
    `engine.attributes`); a failing facet is reported and the others still go. Returns the failed."""
    refused = attributes.write(api, ref, job.anchor, job.facets, changes)
    problems = [problem_from(spec.name, name, exc) for name, exc in refused]
    failed = {name for name, _ in refused}
    for facet in job.facets:
        mine = attributes.the_rest(changes, facet.name)
        if not mine or facet.name in failed:
            continue
        api.writing(ref)
        try:
            facet.apply(api, ref, mine, job.ctx)
        except Exception as exc:
            failed.add(facet.name)
            problems.append(problem_from(spec.name, facet.name, exc))
        finally:
            api.writing(ref)
    return failed, problems


def _verify(
    api: GitLabApi, spec: TargetSpec, job: Job, attempted: set[str], failed: set[str]
) -> tuple[list[Change], list[Change], list[Problem]]:
    """Observe again what apply touched. What a facet that succeeded left behind did not stick; what
    it proposed in a merge request is AWAITING (with the merge request's URL), returned second."""
    try:
        ref = job.anchor.find(api, spec)
    except Exception as exc:
        return [], [], [problem_from(spec.name, None, exc)]
    if ref is None:
        return [], [], [Problem(spec.name, None, "vanished during apply", ProblemKind.ERROR)]
    # What was just rotated cannot be compared (hidden values): verifying must not ask to rotate again.
    verifying = replace(job.options, rotate=False)
    again = _plan(api, ref, spec, [f for f in job.facets if f.name in attempted], verifying)
    remaining = [c for c in again.changes if c.is_pending]
    proposed = [c for c in again.changes if c.action is Action.AWAITING]
    problems = [p for p in again.problems if p.facet not in failed]  # already reported by apply
    for change in remaining:
        if change.facet in failed:
            continue  # its failure is already reported
        kept = dict(change.before or {})
        message = f"{change.target}: did not stick after apply (GitLab kept {yaml_value(kept)})"
        problems.append(Problem(spec.name, change.facet, message, ProblemKind.NOT_STICKING))
    return remaining, proposed, problems
