"""The JSON report (check --format json, plan --out): display-safe data only, then scrubbed again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from provisioner import __version__
from provisioner.model import Action, Change, Problem, ProjectResult, RunResult
from provisioner.report.summary import status, summarise
from provisioner.report.trend import Finding, Trend
from provisioner.secrets import redact

FORMAT = "provisioner-report/1"


def project_entry(result: ProjectResult, mode: str, trend: Trend | None = None) -> dict[str, Any]:
    def public(change: Change, kind: str) -> dict[str, Any]:
        out = change.public()
        if trend is not None:
            out["since"] = trend.since(Finding(result.project, change.facet, change.target, kind))
        return out

    def problem(p: Problem) -> dict[str, Any]:
        out: dict[str, Any] = {"facet": p.facet, "kind": p.kind, "message": p.message}
        if trend is not None:
            out["since"] = trend.since(Finding(result.project, p.facet or "project", p.kind, "error"))
        return out

    entry: dict[str, Any] = {
        "project": result.project,
        "status": status(result, mode),
        "facets": list(result.facets),
        "changes": [public(c, "drift") for c in result.pending],
        "awaiting": [public(c, "awaiting") for c in result.planned if c.action is Action.AWAITING],
        "unmanaged": [public(c, "unmanaged") for c in result.planned if c.action is Action.UNMANAGED],
        "uncovered": [public(c, "uncovered") for c in result.planned if c.action is Action.UNCOVERED],
        # what could not be checked: a value the run was not given, what this GitLab lacks
        "not_checked": [c.public() for c in result.planned if not c.action.checked],
        "problems": [problem(p) for p in result.problems],
    }
    if mode == "apply":
        entry["applied"] = [c.public() for c in result.applied]
        entry["proposed"] = [c.public() for c in result.proposed]
    return entry


def to_data(run: RunResult, trend: Trend | None = None, **extra: Any) -> dict[str, Any]:
    entries = [project_entry(p, run.mode, trend) for p in run.projects]
    return {**_head(run, trend, **extra), "projects": entries}


def _head(run: RunResult, trend: Trend | None, **extra: Any) -> dict[str, Any]:
    head: dict[str, Any] = {"format": FORMAT, "tool_version": __version__, "mode": run.mode}
    if run.started_at is not None:
        head["started_at"] = run.started_at
    head |= extra
    head["summary"] = summarise(run).as_dict()
    if trend is not None:
        head["trend"] = trend.as_dict()
    return head


def _scrubbed(data: Any) -> Any:
    """Every string scrubbed before it is encoded: JSON escapes a quote or a backslash in a secret,
    which the scrubber would then no longer find in the encoded text."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact(str(k)): _scrubbed(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_scrubbed(v) for v in data]
    return data


def chunks(run: RunResult, trend: Trend | None = None, **extra: Any) -> Iterator[str]:
    """The report in pieces, a project at a time, each scrubbed: the report of a bulk run is tens of
    megabytes, which one `json.dumps` would hold several times over."""
    head = json.dumps(_scrubbed(_head(run, trend, **extra)), indent=2, default=str)
    yield redact(head[:-2] + ',\n  "projects": [')
    for index, project in enumerate(run.projects):
        entry = json.dumps(_scrubbed(project_entry(project, run.mode, trend)), indent=2, default=str)
        yield redact(("," if index else "") + "\n    " + entry.replace("\n", "\n    "))
    yield ("\n  ]\n}\n" if run.projects else "]\n}\n")


def render(run: RunResult, trend: Trend | None = None, **extra: Any) -> str:
    return "".join(chunks(run, trend, **extra))
