"""The human report: what each project needs (or got), a legend of the symbols, then one summary block
in the same shape for plan, apply and check. Coloured on request (a terminal), plain otherwise."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from provisioner.model import Action, Change, ProjectResult, RunResult
from provisioner.report import wording
from provisioner.report.style import Line, paint
from provisioner.report.summary import Summary, proposed_in, summarise, written
from provisioner.report.trend import Trend
from provisioner.secrets import redact

NAMED = 10  # failed projects and merge requests named in the summary; the rest are counted


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def duration(seconds: float) -> str:
    if round(seconds, 1) < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    return f"{minutes // 60} h {minutes % 60} min"


def project_lines(result: ProjectResult, mode: str) -> list[Line]:
    shown: list[tuple[Change, str | None]]
    if mode == "apply":
        proposed = proposed_in(result)
        shown = [(c, proposed.get((c.facet, c.target))) for c in result.applied]
        shown += [(c, None) for c in result.planned if not c.is_pending]
    else:
        shown = [(c, None) for c in result.planned]
    if not shown and not result.problems:
        return []
    lines: list[Line] = [[(result.project, "project")]]
    for described in wording.describe_all(shown, mode):
        head, *rest = wording.lines(described)
        lines.append([(head, described.symbol)])
        lines += [[(line, _diff_style(line))] for line in rest]
    for problem in result.problems:
        where = f"{problem.facet}: " if problem.facet else ""
        lines.append([(f"  ! {where}{problem.message}", "!")])
    return lines


def _diff_style(line: str) -> str:
    body = line.lstrip()
    if body.startswith(("+++", "---")):
        return "dim"
    return {"+": "diff+", "-": "diff-", "@": "dim"}.get(body[:1], "")


def summary_lines(s: Summary, trend: Trend | None = None) -> list[Line]:
    """The block every run ends with. Rows always in the same order, zero or not, so it reads at a glance."""
    head = f"{s.mode}: {plural(s.targets, 'target')}"
    if s.duration is not None:
        head += f" in {duration(s.duration)}"
    lines: list[Line] = [[(head, "bold")]]

    def row(label: str, count: int, unit: str, rest: str = "", style: str = "") -> None:
        text = f" {unit if count == 1 else unit + 's'}{rest}"
        lines.append([(f"  {label:<10}", "bold"), (f"{count:>6}", style if count else ""), (text, "")])

    if s.mode == "apply":
        row("written", s.written, "change", f" in {plural(s.written_projects, 'project')}", "+")
        proposed = sum(m.changes for m in s.proposed)
        row("proposed", proposed, "change", f" in {plural(len(s.proposed), 'merge request')}", "…")
        _named(lines, [f"{m.project}  {m.url}" for m in s.proposed])
    elif s.mode == "check":
        rest = f" ({plural(s.to_write, 'difference')})" if s.to_write else ""
        row("drift", s.by_status.get("drift", 0), "project", rest, "~")
    else:
        actions = ", ".join(f"{n} {a}" for a, n in s.by_action.items() if Action(a).is_write)
        rest = f" in {plural(s.by_status.get('drift', 0), 'project')}" + (f" ({actions})" if actions else "")
        row("to write", s.to_write, "change", rest, "~")
    row("awaiting", len(s.awaiting), "merge request", "", "…")
    _named(lines, [f"{m.project}  {m.url}" for m in s.awaiting])
    row("unmanaged", s.unmanaged, "thing", " in GitLab the inventory does not name: left as is", "?")
    if s.uncovered:  # only where the inventory's groups hold projects it does not manage
        row(
            "uncovered", len(s.uncovered), "project", " under the inventory's groups, managed by nothing", "∉"
        )
        _named(lines, list(s.uncovered))
    if s.unverified:  # only for a read-only run without some secrets
        row(
            "unverified",
            s.unverified,
            "secret value",
            " the run was not given: compared all but the value",
            "○",
        )
    row("failed", len(s.failed), "project", "", "!")
    _named(lines, [f"{f.project}: {f.cause}" for f in s.failed])
    row("in sync", s.by_status.get("in_sync", 0), "target")
    if trend is not None:
        counts = f"{trend.new} new, {trend.persisting} persisting, {trend.fixed} fixed"
        lines.append([("  since the baseline ", "bold"), (counts, "!" if trend.new else "")])
    if s.interrupted:
        lines.append([("  INTERRUPTED: some projects were not processed", "!")])
    return lines


def _named(lines: list[Line], items: Sequence[str]) -> None:
    for item in items[:NAMED]:
        lines.append([(f"{'':19}{item}", "")])
    if len(items) > NAMED:
        lines.append([(f"{'':19}and {len(items) - NAMED} more in the report", "dim")])


def chunks(run: RunResult, *, colour: bool = False, trend: Trend | None = None) -> Iterator[str]:
    """The report in pieces, a project at a time, then the legend and the summary: the text of a
    bulk plan is tens of megabytes, which one string (and its painted and scrubbed copies) would
    hold several times over."""
    symbols: set[str] = set()
    for project in run.projects:
        block = project_lines(project, run.mode)
        if block:
            symbols |= {style for line in block for _, style in line[:1] if len(style) == 1}
            yield redact(paint([*block, []], colour))
    out: list[Line] = []
    legend = wording.legend(symbols, run.mode)
    if legend:
        out += [[(legend, "dim")], []]
    out += summary_lines(summarise(run), trend)
    yield redact(paint(out, colour))


def render(run: RunResult, *, colour: bool = False, trend: Trend | None = None) -> str:
    return "".join(chunks(run, colour=colour, trend=trend))


__all__ = ["chunks", "duration", "plural", "project_lines", "render", "summary_lines", "written"]
