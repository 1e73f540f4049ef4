"""The JSON report (check --format json, plan --out): display-safe data only, then scrubbed again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from provisioner import __version__
from provisioner.model import Action, Problem, ProjectResult, RunResult
from provisioner.report.summary import status, summarise
from provisioner.secrets import redact

FORMAT = "provisioner-report/1"


def _problem(p: Problem) -> dict[str, Any]:
    return {"facet": p.facet, "kind": p.kind, "message": p.message}


def project_entry(result: ProjectResult, mode: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "project": result.project,
        "status": status(result, mode),
        "facets": list(result.facets),
        "changes": [c.public() for c in result.pending],
        "awaiting": [c.public() for c in result.planned if c.action is Action.AWAITING],
        "unmanaged": [c.public() for c in result.planned if c.action is Action.UNMANAGED],
        "problems": [_problem(p) for p in result.problems],
    }
    if mode == "apply":
        entry["applied"] = [c.public() for c in result.applied]
    return entry


def _head(run: RunResult, **extra: Any) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "tool_version": __version__,
        "mode": run.mode,
        **extra,
        "summary": summarise(run).as_dict(),
    }


def chunks(run: RunResult, **extra: Any) -> Iterator[str]:
    """The report in pieces, a project at a time, each scrubbed: the report of a bulk run is tens of
    megabytes, which one `json.dumps` would hold several times over."""
    head = json.dumps(_head(run, **extra), indent=2, default=str)
    yield redact(head[:-2] + ',\n  "projects": [')
    for index, project in enumerate(run.projects):
        entry = json.dumps(project_entry(project, run.mode), indent=2, default=str)
        yield redact(("," if index else "") + "\n    " + entry.replace("\n", "\n    "))
    yield ("\n  ]\n}\n" if run.projects else "]\n}\n")


def render(run: RunResult, **extra: Any) -> str:
    return "".join(chunks(run, **extra))
