"""Counting what a run found and did: shared by every report format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from provisioner.model import ProjectResult, RunResult


def status(result: ProjectResult, mode: str) -> str:
    if result.failed:
        return "failed"
    if mode == "apply" and result.applied:
        return "applied"
    if result.pending:
        return "drift"
    if result.drift:
        return "awaiting"
    return "in_sync"


@dataclass(frozen=True)
class Summary:
    targets: int
    by_status: dict[str, int]
    by_action: dict[str, int]
    applied: int
    interrupted: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "targets": self.targets,
            "by_status": self.by_status,
            "by_action": self.by_action,
            "applied": self.applied,
            "interrupted": self.interrupted,
        }


def summarise(run: RunResult) -> Summary:
    statuses = Counter(status(p, run.mode) for p in run.projects)
    actions = Counter(c.action.value for p in run.projects for c in p.planned)
    return Summary(
        targets=len(run.projects),
        by_status=dict(sorted(statuses.items())),
        by_action=dict(sorted(actions.items())),
        applied=sum(len(p.applied) for p in run.projects),
        interrupted=run.interrupted,
    )
