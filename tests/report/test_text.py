"""The text report: one summary block in the same shape for plan, apply and check, honest about what
was written, proposed in a merge request, awaiting one, unmanaged and failed (named), with a duration."""

from __future__ import annotations

import re

import pytest

from provisioner.model import Action, Change, Problem, ProjectResult, RunResult
from provisioner.report import text
from provisioner.report.style import wants_colour

MR = "https://gitlab.example/platform/payments/-/merge_requests/1"
SETTINGS = Change(
    "settings", "project settings", Action.UPDATE, {"build_timeout": 600}, {"build_timeout": 3600}
)
CI_FILE = Change("files", "file .gitlab-ci.yml", Action.CREATE, None, {"policy": "managed"}, "+++ b/x\n+a\n")
WAITING = Change("files", "file .gitlab-ci.yml", Action.AWAITING, None, {"merge_request": MR})
LEGACY = Change("variables", "variable LEGACY_FLAG", Action.UNMANAGED, {"value": "1"})


def applied_run() -> RunResult:
    payments = ProjectResult(
        "platform/payments",
        planned=(SETTINGS, CI_FILE),
        applied=(SETTINGS, CI_FILE),
        proposed=(WAITING,),  # verify found the file waiting in the merge request apply opened
    )
    billing = ProjectResult("platform/billing", planned=(SETTINGS, LEGACY), applied=(SETTINGS,))
    broken = [
        ProjectResult(
            f"data/p{i:02d}", problems=(Problem(f"data/p{i:02d}", "variables", "403 Forbidden\nmore"),)
        )
        for i in range(12)
    ]
    return RunResult("apply", (payments, billing, *broken), duration=83.4)


def summary(run: RunResult) -> list[str]:
    rendered = text.render(run)
    return rendered[rendered.index(f"{run.mode}: ") :].splitlines()


def test_apply_says_written_apart_from_proposed_with_the_merge_request_url_failed_by_name() -> None:
    lines = summary(applied_run())
    assert lines[0] == "apply: 14 targets in 1 min 23 s"
    assert re.fullmatch(r" +written +2 changes in 2 projects", lines[1])
    assert re.fullmatch(r" +proposed +1 change in 1 merge request", lines[2])
    assert lines[3].split() == ["platform/payments", MR]
    assert re.fullmatch(r" +failed +12 projects", lines[6])
    named = lines[7:18]
    assert [n.strip() for n in named[:10]] == [f"data/p{i:02d}: variables: 403 Forbidden" for i in range(10)]
    assert named[10].strip() == "and 2 more in the report"  # the body above names every one


def test_the_applied_file_reads_as_proposed_in_the_merge_request() -> None:
    body = text.render(applied_run())
    assert f"  … files: file .gitlab-ci.yml proposed in merge request {MR}" in body
    assert "  ~ settings: project settings changed\n      build_timeout: 600 → 3600" in body


@pytest.mark.parametrize("mode", ["plan", "apply", "check"])
def test_every_mode_ends_with_the_same_rows(mode: str) -> None:
    run = RunResult(mode, (ProjectResult("a/b", planned=(SETTINGS, WAITING, LEGACY)),), duration=0.42)
    labels = [line.split()[0] for line in summary(run)[1:] if not line.startswith(" " * 5)]
    first = {"plan": ["to"], "apply": ["written", "proposed"], "check": ["drift"]}[mode]
    assert labels == [*first, "awaiting", "unmanaged", "failed", "in"]
    assert summary(run)[0] == f"{mode}: 1 target in 0.4 s"


def test_the_legend_follows_the_changes_and_colour_only_when_asked() -> None:
    run = RunResult("check", (ProjectResult("a/b", planned=(SETTINGS, LEGACY)),))
    plain = text.render(run)
    assert "legend: ~ differs, ? not in the inventory: reported, left as it is\n" in plain
    assert "\x1b[" not in plain
    coloured = text.render(run, colour=True)
    assert "\x1b[33m  ~ settings: project settings differs from the inventory\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.04, "0.0 s"), (59.9, "59.9 s"), (61, "1 min 1 s"), (7300, "2 h 1 min")]
)
def test_durations(seconds: float, shown: str) -> None:
    assert text.duration(seconds) == shown


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("env", "tty", "colour"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),  # no-color.org: NO_COLOR wins
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_on_a_terminal_unless_no_color(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, colour: bool
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert wants_colour(_Stream(tty)) is colour  # type: ignore[arg-type]


@pytest.mark.parametrize("colour", [False, True])
def test_the_report_comes_a_project_at_a_time_then_the_summary(colour: bool) -> None:
    """Written as it is made (a bulk plan's text is tens of megabytes): one piece per project that has
    something to say, then the legend and summary; together, exactly the whole report."""
    run = applied_run()
    pieces = list(text.chunks(run, colour=colour))
    assert "".join(pieces) == text.render(run, colour=colour)
    plain = list(text.chunks(run))
    assert [piece.splitlines()[0] for piece in plain[:-1]] == [p.project for p in run.projects]
    assert "apply: 14 targets in 1 min 23 s\n" in plain[-1]
