"""The HTML report (`check --html`): one self-contained page a manager can read. Totals, a table of
projects by facet with each one's status, every finding expandable with a readable diff, filters by
status and group, the run's time and duration.

It shows the same display-safe words as the text report (`wording`), each string scrubbed before it is
escaped (an escaped secret would no longer match the scrubber), the page scrubbed again at the end.
Rendered by Jinja2 with autoescape on; no network and no external asset (a Content-Security-Policy
says so to the browser too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jinja2

from provisioner import __version__
from provisioner.model import Action, Change, ProjectResult, RunResult
from provisioner.report import wording
from provisioner.report.summary import Summary, status, summarise
from provisioner.report.text import duration
from provisioner.report.trend import Finding, Trend
from provisioner.secrets import redact

STATUS_LABEL = {
    "failed": "error",
    "drift": "drift",
    "awaiting": "awaiting",
    "uncovered": "not covered",
    "in_sync": "in sync",
    "applied": "applied",
    "proposed": "proposed",
}


@dataclass(frozen=True)
class FindingView:
    facet: str
    symbol: str
    headline: str
    fields: tuple[str, ...]
    diff: tuple[tuple[str, str], ...]  # (css class, line)
    size: str | None
    since: str | None  # new | persisting, with a baseline
    link: str | None = None  # the merge request it waits in; http(s) only, never `javascript:`


@dataclass(frozen=True)
class ProblemView:
    facet: str
    message: str
    since: str | None


@dataclass(frozen=True)
class Row:
    project: str
    groups: tuple[str, ...]  # every namespace above it: "platform", "platform/libs"
    status: str
    cells: tuple[str, ...]  # a status per facet column; "" where the inventory configures none
    findings: tuple[FindingView, ...]
    problems: tuple[ProblemView, ...]
    new: int = 0


@dataclass(frozen=True)
class Page:
    mode: str
    started_at: str | None
    duration: str | None
    gitlab_url: str | None
    version: str
    summary: Summary
    facets: tuple[str, ...]
    rows: tuple[Row, ...]
    groups: tuple[str, ...]
    totals: tuple[tuple[str, int, str], ...]  # label, count, status
    legend: str | None
    trend: Trend | None
    fixed: tuple[Finding, ...] = field(default=())


def _groups(project: str) -> tuple[str, ...]:
    path = project.removeprefix("group ")
    parts = path.split("/")
    upto = len(parts) if project.startswith("group ") else len(parts) - 1
    return tuple("/".join(parts[: i + 1]) for i in range(upto))


def _cell(result: ProjectResult, facet: str) -> str:
    if any((p.facet or "project") == facet for p in result.problems):
        return "failed"
    mine = [c for c in result.planned if c.facet == facet]
    if any(c.is_pending for c in mine):
        return "drift"
    if any(c.action is Action.AWAITING for c in mine):
        return "awaiting"
    if any(c.action is Action.UNCOVERED for c in mine):
        return "uncovered"
    if mine:
        return "unmanaged"
    return "in_sync"


def _diff(text: str | None) -> tuple[tuple[str, str], ...]:
    lines = []
    for line in redact(text or "").splitlines():
        kind = "meta" if line.startswith(("+++", "---", "@@")) else {"+": "add", "-": "del"}.get(line[:1], "")
        lines.append((kind, line))
    return tuple(lines)


def _finding(project: str, change: Change, mode: str, trend: Trend | None) -> FindingView:
    described = wording.describe(change, mode)
    kind = {Action.AWAITING: "awaiting", Action.UNCOVERED: "uncovered"}.get(change.action, "unmanaged")
    kind = "drift" if change.is_pending else kind
    since = trend.since(Finding(project, change.facet, change.target, kind)) if trend else None
    return FindingView(
        facet=change.facet,
        symbol=described.symbol,
        headline=redact(described.headline),
        fields=tuple(redact(f) for f in described.fields),
        diff=() if described.size else _diff(described.diff),
        size=described.size,
        since=since,
        link=_link((change.after or {}).get("merge_request")),
    )


def _link(url: object) -> str | None:
    text = str(url) if url else ""
    return redact(text) if urlsplit(text).scheme in ("http", "https") else None


def _row(result: ProjectResult, mode: str, facets: Sequence[str], trend: Trend | None) -> Row:
    configured = set(result.facets) | {p.facet or "project" for p in result.problems}
    findings = tuple(_finding(result.project, c, mode, trend) for c in result.planned)
    problems = tuple(
        ProblemView(
            p.facet or "project",
            redact(p.message),
            trend.since(Finding(result.project, p.facet or "project", p.kind, "error")) if trend else None,
        )
        for p in result.problems
    )
    return Row(
        project=result.project,
        groups=_groups(result.project),
        status=status(result, mode),
        cells=tuple(_cell(result, f) if f in configured else "" for f in facets),
        findings=findings,
        problems=problems,
        new=sum(1 for f in findings if f.since == "new") + sum(1 for p in problems if p.since == "new"),
    )


def page(run: RunResult, *, gitlab_url: str | None = None, trend: Trend | None = None) -> Page:
    order: dict[str, None] = {}
    for result in sorted(run.projects, key=lambda r: r.project.startswith("group ")):  # groups' last
        order |= dict.fromkeys(result.facets)
        order |= dict.fromkeys(p.facet or "project" for p in result.problems)
    facets = tuple(order)
    rows = tuple(_row(p, run.mode, facets, trend) for p in run.projects)
    summary = summarise(run)
    counted = Counter(r.status for r in rows)
    totals = (
        ("targets", len(rows), "all"),
        ("in sync", counted["in_sync"], "in_sync"),
        ("drift", counted["drift"], "drift"),
        ("awaiting a merge", counted["awaiting"], "awaiting"),
        ("not covered", counted["uncovered"], "uncovered"),
        ("errors", counted["failed"], "failed"),
        ("unmanaged things", summary.unmanaged, "unmanaged"),
    )
    symbols = {f.symbol for r in rows for f in r.findings}
    return Page(
        mode=run.mode,
        started_at=run.started_at,
        duration=duration(run.duration) if run.duration is not None else None,
        gitlab_url=gitlab_url,
        version=__version__,
        summary=summary,
        facets=facets,
        rows=rows,
        groups=tuple(sorted({g for r in rows for g in r.groups})),
        totals=totals,
        legend=wording.legend(symbols, run.mode),
        trend=trend,
        fixed=trend.fixed_findings if trend else (),
    )


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("provisioner.report", "templates"),
        autoescape=True,  # every value is text to show, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(run: RunResult, *, gitlab_url: str | None = None, trend: Trend | None = None) -> str:
    context: dict[str, Any] = {"page": page(run, gitlab_url=gitlab_url, trend=trend), "labels": STATUS_LABEL}
    return redact(_environment().get_template("report.html.j2").render(context))
