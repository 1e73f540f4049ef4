"""One project (or group) through observe -> diff -> apply -> verify. Errors become values here.

A failure in one facet is recorded as a `Problem` and the other facets go on; nothing here exits or
prints. After apply, every facet that wrote is observed again and must diff to nothing: what is
left "did not stick" (GitLab silently dropped it) and is reported, not rewritten forever. Observed
again means from GitLab's answers: what the answers to the writes showed (the run cache keeps them,
see `provisioner.gitlab.cache`) is not read a second time; everything else is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from provisioner.errors import Forbidden, ProvisionerError, Rejected, Stale, Unauthorized, Unobservable
from provisioner.facets.base import ApplyContext, Facet, GroupFacet, PlanOptions
from provisioner.gitlab import projects
from provisioner.gitlab.transport import GitLabApi
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import Action, Change, Problem, ProjectRef, ProjectResult
from provisioner.secrets import redact

log = logging.getLogger(__name__)


@dataclass
class _Outcome:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)


_ROLE_HINT = "this token's user needs a higher role here (Maintainer, for most of what is managed)"


def problem_from(target: str, facet: str | None, exc: BaseException) -> Problem:
    if isinstance(exc, Forbidden):
        # The cause is the token, not the request: said without the path, it is said once (collapse).
        hint = "" if "scope" in exc.message else f": {_ROLE_HINT}"
        return Problem(target, facet, redact(f"{exc.message}{hint}"), "permission")
    if isinstance(exc, Unauthorized | Unobservable):
        kind = "permission"
    elif isinstance(exc, Rejected) and exc.status == 409:
        kind = "conflict"
    elif isinstance(exc, Stale):
        kind = "stale"
    elif isinstance(exc, ProvisionerError):
        kind = "error"
    else:
        log.exception("internal error on %s (%s)", target, facet)
        return Problem(
            target, facet, f"internal error ({type(exc).__name__}); details in the log file", "internal"
        )
    return Problem(target, facet, redact(str(exc)), kind)


def _plan(
    api: GitLabApi, ref: ProjectRef, spec: ProjectSpec, facets: Sequence[Facet], options: PlanOptions
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
            out.problems.append(problem_from(spec.path, facet.name, exc))
    return out


def process_project(
    api: GitLabApi,
    spec: ProjectSpec,
    facets: Sequence[Facet],
    *,
    apply: bool,
    options: PlanOptions,
    ctx: ApplyContext,
    expected: Sequence[Mapping[str, Any]] | None = None,
    replan: bool = True,
) -> ProjectResult:
    """`expected`: the pending changes a person approved (a saved or shown plan); apply refuses to
    write anything else, so that what is applied is exactly what was shown. Without one, a project
    whose apply found GitLab changed under it (`Stale`: a team pushed) is planned again, once."""
    try:
        ref = projects.find(api, spec.path)
    except Exception as exc:
        return ProjectResult(spec.path, problems=(problem_from(spec.path, None, exc),))
    if ref is None:
        return _missing(api, spec, facets, apply=apply, options=options, ctx=ctx)
    try:
        return _converge(
            api, ref, spec, facets, apply=apply, options=options, ctx=ctx, expected=expected, replan=replan
        )
    finally:
        api.cache.done(ref.id)  # what was read of it served this run's plan and verification


def _converge(
    api: GitLabApi,
    ref: ProjectRef,
    spec: ProjectSpec,
    facets: Sequence[Facet],
    *,
    apply: bool,
    options: PlanOptions,
    ctx: ApplyContext,
    expected: Sequence[Mapping[str, Any]] | None,
    replan: bool,
) -> ProjectResult:
    planned = _plan(api, ref, spec, facets, options)
    if (
        apply
        and expected is not None
        and [c.public() for c in planned.changes if c.is_pending] != list(expected)
    ):
        stale = Problem(
            spec.path, None, "changed since the plan was made; nothing written: plan again", "stale_plan"
        )
        return ProjectResult(
            spec.path,
            tuple(planned.changes),
            problems=(*planned.problems, stale),
            facets=tuple(planned.facets),
        )
    if not apply or not any(c.is_pending for c in planned.changes):
        # A plan keeps one problem per facet (check's JUnit has a case per facet); apply says a cause once.
        said = collapse(planned.problems) if apply else tuple(planned.problems)
        return ProjectResult(spec.path, tuple(planned.changes), problems=said, facets=tuple(planned.facets))
    attempted = {c.facet for c in planned.changes if c.is_pending}
    failed, problems = _apply(api, ref, spec, facets, planned.changes, ctx)
    if replan and expected is None and any(p.kind == "stale" for p in problems):
        api.cache.release(ref.id)  # planned anew from what GitLab says now
        return _planned_again(api, spec, facets, planned.changes, failed, problems, options, ctx)
    remaining, proposed, verify_problems = _verify(api, spec, facets, attempted, failed, options)
    # What apply achieved is what verify no longer finds: exact even when a facet failed halfway.
    still = {(c.facet, c.target) for c in remaining}
    applied = [c for c in planned.changes if c.is_pending and (c.facet, c.target) not in still]
    return ProjectResult(
        spec.path,
        planned=tuple(planned.changes),
        applied=tuple(applied),
        remaining=tuple(remaining),
        problems=collapse(planned.problems + problems + verify_problems),
        facets=tuple(planned.facets),
        proposed=tuple(proposed),
    )


def _planned_again(
    api: GitLabApi,
    spec: ProjectSpec,
    facets: Sequence[Facet],
    first: Sequence[Change],
    failed: set[str],
    problems: Sequence[Problem],
    options: PlanOptions,
    ctx: ApplyContext,
) -> ProjectResult:
    """GitLab moved under the first plan: what it wrote stands, the rest is observed and planned anew."""
    for problem in problems:
        if problem.kind == "stale":
            log.warning("%s: %s: %s; planning it again", spec.path, problem.facet, problem.message)
    done = tuple(c for c in first if c.is_pending and c.facet not in failed)
    again = process_project(api, spec, facets, apply=True, options=options, ctx=ctx, replan=False)
    return ProjectResult(
        spec.path,
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
        if problem.kind == "permission" and key in facets_of:
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
    api: GitLabApi,
    spec: ProjectSpec,
    facets: Sequence[Facet],
    *,
    apply: bool,
    options: PlanOptions,
    ctx: ApplyContext,
) -> ProjectResult:
    from provisioner.facets import project as project_facet

    if not spec.config.create:
        message = "project not found, or not visible to this token (set create: true to create it)"
        return ProjectResult(spec.path, problems=(Problem(spec.path, None, message, "not_found"),))
    creation = project_facet.creation_change(spec)
    if not apply:
        return ProjectResult(spec.path, planned=(creation,), facets=("project",))
    try:
        project_facet.create(api, spec)
    except Exception as exc:
        return ProjectResult(
            spec.path, planned=(creation,), problems=(problem_from(spec.path, "project", exc),)
        )
    # The rest of the facets converge in the same run, against the new project.
    rest = process_project(api, spec, facets, apply=True, options=options, ctx=ctx)
    return ProjectResult(
        spec.path,
        planned=(creation, *rest.planned),
        applied=(creation, *rest.applied),
        remaining=rest.remaining,
        problems=rest.problems,
        facets=("project", *rest.facets),
        proposed=rest.proposed,
    )


def _apply(
    api: GitLabApi,
    ref: ProjectRef,
    spec: ProjectSpec,
    facets: Sequence[Facet],
    changes: Sequence[Change],
    ctx: ApplyContext,
) -> tuple[set[str], list[Problem]]:
    """Apply facet by facet; a failing facet is reported and the others still go. Returns the failed."""
    failed: set[str] = set()
    problems: list[Problem] = []
    for facet in facets:
        mine = [c for c in changes if c.facet == facet.name and c.is_pending]
        if not mine:
            continue
        try:
            facet.apply(api, ref, mine, ctx)
        except Exception as exc:
            failed.add(facet.name)
            problems.append(problem_from(spec.path, facet.name, exc))
        finally:
            api.cache.forget_project(ref.id)
    return failed, problems


def _verifying(options: PlanOptions) -> PlanOptions:
    """What was just rotated cannot be compared (hidden values): verifying must not ask to rotate again."""
    return replace(options, rotate=False)


def _verify(
    api: GitLabApi,
    spec: ProjectSpec,
    facets: Sequence[Facet],
    attempted: set[str],
    failed: set[str],
    options: PlanOptions,
) -> tuple[list[Change], list[Change], list[Problem]]:
    """Observe again what apply touched. What a facet that succeeded left behind did not stick; what
    it proposed in a merge request is AWAITING (with the merge request's URL), returned second."""
    try:
        ref = projects.find(api, spec.path)
    except Exception as exc:
        return [], [], [problem_from(spec.path, None, exc)]
    if ref is None:
        return [], [], [Problem(spec.path, None, "project vanished during apply", "error")]
    again = _plan(api, ref, spec, [f for f in facets if f.name in attempted], _verifying(options))
    remaining = [c for c in again.changes if c.is_pending]
    proposed = [c for c in again.changes if c.action is Action.AWAITING]
    problems = [p for p in again.problems if p.facet not in failed]  # already reported by apply
    for change in remaining:
        if change.facet in failed:
            continue  # its failure is already reported
        kept = dict(change.before or {})
        message = f"{change.target}: did not stick after apply (GitLab kept {kept})"
        problems.append(Problem(spec.path, change.facet, message, "not_sticking"))
    return remaining, proposed, problems


def process_group(
    api: GitLabApi,
    spec: GroupSpec,
    facets: Sequence[GroupFacet],
    *,
    apply: bool,
    options: PlanOptions,
    ctx: ApplyContext,
) -> ProjectResult:
    """Group-level facets (group variables): the same loop, with the group as target."""
    target = f"group {spec.path}"
    planned: list[Change] = []
    applied: list[Change] = []
    problems: list[Problem] = []
    for facet in facets:
        try:
            changes = facet.diff(spec, facet.observe(api, spec), options)
            planned.extend(changes)
            pending = [c for c in changes if c.action is not Action.UNMANAGED]
            if apply and pending:
                facet.apply(api, spec, pending, ctx)
                applied.extend(pending)
                again = facet.diff(spec, facet.observe(api, spec), _verifying(options))
                left = [c for c in again if c.is_pending]
                problems.extend(
                    Problem(target, facet.name, f"{c.target}: did not stick after apply", "not_sticking")
                    for c in left
                )
        except Exception as exc:
            problems.append(problem_from(target, facet.name, exc))
    return ProjectResult(
        target, tuple(planned), tuple(applied), problems=tuple(problems), facets=tuple(f.name for f in facets)
    )
