"""Trend since a baseline: each finding of this check is new or persisting since a previous JSON report,
and what that report found and this one does not is fixed.

A finding is identified by project, facet, target and kind, not by its values: a setting that drifted to
another wrong value is still the same finding, persisting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.errors import ConfigError
from provisioner.model import Action, RunResult


@dataclass(frozen=True, order=True)
class Finding:
    project: str
    facet: str
    target: str
    kind: str  # drift | awaiting | unmanaged | error

    def as_dict(self) -> dict[str, str]:
        return {"project": self.project, "facet": self.facet, "target": self.target, "kind": self.kind}


@dataclass(frozen=True)
class Trend:
    baseline: str  # the file it was compared with, as given
    new_findings: frozenset[Finding]
    persisting_findings: frozenset[Finding]
    fixed_findings: tuple[Finding, ...]

    @property
    def new(self) -> int:
        return len(self.new_findings)

    @property
    def persisting(self) -> int:
        return len(self.persisting_findings)

    @property
    def fixed(self) -> int:
        return len(self.fixed_findings)

    def since(self, finding: Finding) -> str:
        return "new" if finding in self.new_findings else "persisting"

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "new": self.new,
            "persisting": self.persisting,
            "fixed": self.fixed,
            "fixed_findings": [f.as_dict() for f in self.fixed_findings],
        }


def _kind(action: Action) -> str:
    if not action.checked:
        return "not_checked"
    named = {Action.AWAITING: "awaiting", Action.UNMANAGED: "unmanaged", Action.UNCOVERED: "uncovered"}
    return named.get(action, "drift")


def findings(run: RunResult) -> Iterator[Finding]:
    for result in run.projects:
        for change in result.planned:
            yield Finding(result.project, change.facet, change.target, _kind(change.action))
        for problem in result.problems:
            yield Finding(result.project, problem.facet or "project", problem.kind, "error")


def _from_report(data: Mapping[str, Any]) -> Iterator[Finding]:
    for entry in data["projects"]:
        project = str(entry["project"])
        kinds = (
            ("changes", "drift"),
            ("awaiting", "awaiting"),
            ("unmanaged", "unmanaged"),
            ("uncovered", "uncovered"),
        )
        for key, kind in (*kinds, ("not_checked", "not_checked")):
            for change in entry.get(key, []):
                yield Finding(project, str(change["facet"]), str(change["target"]), kind)
        for problem in entry.get("problems", []):
            yield Finding(project, str(problem.get("facet") or "project"), str(problem["kind"]), "error")


def load_baseline(path: Path) -> set[Finding]:
    """The findings of a JSON report written by `check --json` (or `--format json`)."""
    from provisioner.report.json_report import FORMAT  # the format this module reads back

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"--baseline {path}: cannot read it ({reason})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("mode") != "check":
        raise ConfigError(f"--baseline {path}: not a report written by `provisioner check --json`")
    try:
        return set(_from_report(data))
    except (KeyError, TypeError, AttributeError):
        raise ConfigError(f"--baseline {path}: a project entry lacks its fields; was it edited?") from None


def compare(current: Iterable[Finding], baseline: set[Finding], name: str) -> Trend:
    now = set(current)
    return Trend(
        baseline=name,
        new_findings=frozenset(now - baseline),
        persisting_findings=frozenset(now & baseline),
        fixed_findings=tuple(sorted(baseline - now)),
    )
