"""What a run found and did, counted once for every report format: written, proposed in a merge
request, awaiting one, failed (named), unmanaged, in sync, and how long it took."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from provisioner.model import Action, Change, ProjectResult, RunResult


def proposed_in(result: ProjectResult) -> dict[tuple[str, str], str]:
    """(facet, target) -> the merge request URL, for what apply proposed instead of writing."""
    return {(c.facet, c.target): _url(c) for c in result.proposed}


def written(result: ProjectResult) -> tuple[Change, ...]:
    proposed = proposed_in(result)
    return tuple(c for c in result.applied if (c.facet, c.target) not in proposed)


def _url(change: Change) -> str:
    return str((change.after or {}).get("merge_request") or "a merge request")


def status(result: ProjectResult, mode: str) -> str:
    if result.failed:
        return "failed"
    if any(c.action is Action.UNCOVERED for c in result.planned):
        return "uncovered"
    if mode == "apply" and result.applied:
        return "applied" if written(result) else "proposed"
    if result.pending:
        return "drift"
    if result.drift:
        return "awaiting"
    return "in_sync"


@dataclass(frozen=True)
class MergeRequest:
    project: str
    url: str
    changes: int


@dataclass(frozen=True)
class Failure:
    project: str
    cause: str  # one line: the first problem, and how many more there are


@dataclass(frozen=True)
class Summary:
    mode: str
    targets: int
    by_status: dict[str, int]
    by_action: dict[str, int]  # what the diff found (plan, check; apply: before it wrote)
    applied: int  # changes apply made: written plus proposed
    written: int
    written_projects: int
    proposed: tuple[MergeRequest, ...]  # apply: merge requests it opened or updated in this run
    awaiting: tuple[MergeRequest, ...]  # merge requests that were already waiting for a person
    unmanaged: int
    uncovered: tuple[str, ...]  # projects under the inventory's groups that nothing manages
    unverified: int  # secret values a read-only run was not given
    failed: tuple[Failure, ...]
    interrupted: bool
    duration: float | None

    @property
    def to_write(self) -> int:
        return sum(n for action, n in self.by_action.items() if Action(action).is_write)

    @property
    def drifted(self) -> int:
        return sum(self.by_status.get(s, 0) for s in ("drift", "awaiting", "uncovered"))

    def as_dict(self) -> dict[str, object]:
        return {
            "targets": self.targets,
            "by_status": self.by_status,
            "by_action": self.by_action,
            "applied": self.applied,
            "written": self.written,
            "proposed": [m.__dict__ for m in self.proposed],
            "awaiting": [m.__dict__ for m in self.awaiting],
            "unmanaged": self.unmanaged,
            "uncovered": list(self.uncovered),
            "unverified": self.unverified,
            "failed": [f.__dict__ for f in self.failed],
            "interrupted": self.interrupted,
            "duration_s": None if self.duration is None else round(self.duration, 3),
        }


def _merge_requests(pairs: list[tuple[str, str]]) -> tuple[MergeRequest, ...]:
    counted = Counter(pairs)
    return tuple(MergeRequest(project, url, n) for (project, url), n in counted.items())


def _cause(result: ProjectResult) -> str:
    first = result.problems[0]
    where = f"{first.facet}: " if first.facet else ""
    more = len(result.problems) - 1
    line = (where + first.message).splitlines()[0] if first.message else where + first.kind
    return line + (f" (and {more} more)" if more else "")


def summarise(run: RunResult) -> Summary:
    statuses = Counter(status(p, run.mode) for p in run.projects)
    actions = Counter(c.action.value for p in run.projects for c in p.planned)
    proposed = [(p.project, _url(c)) for p in run.projects for c in p.proposed]
    awaiting = [(p.project, _url(c)) for p in run.projects for c in p.planned if c.action is Action.AWAITING]
    writes = [written(p) for p in run.projects]
    return Summary(
        mode=run.mode,
        targets=len(run.projects),
        by_status=dict(sorted(statuses.items())),
        by_action=dict(sorted(actions.items())),
        applied=sum(len(p.applied) for p in run.projects),
        written=sum(len(w) for w in writes),
        written_projects=sum(1 for w in writes if w),
        proposed=_merge_requests(proposed),
        awaiting=_merge_requests(awaiting),
        unmanaged=actions.get(Action.UNMANAGED.value, 0),
        uncovered=tuple(p.project for p in run.projects if status(p, run.mode) == "uncovered"),
        unverified=actions.get(Action.UNVERIFIED.value, 0),
        failed=tuple(Failure(p.project, _cause(p)) for p in run.projects if p.failed),
        interrupted=run.interrupted,
        duration=run.duration,
    )
