"""check --baseline: each finding is new or persisting since a previous JSON report; what that report
found and this run does not is fixed. A finding is its project, facet, target and kind, not its values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.errors import ConfigError
from provisioner.model import Action, Change, Problem, ProjectResult, RunResult
from provisioner.report import json_report, text, trend


def change(target: str, value: int, action: Action = Action.UPDATE) -> Change:
    return Change("settings", target, action, {"v": value}, {"v": 1})


def check(*changes: Change, problems: tuple[Problem, ...] = ()) -> RunResult:
    return RunResult("check", (ProjectResult("a/b", planned=changes, problems=problems),))


def test_new_persisting_and_fixed(tmp_path: Path) -> None:
    before = check(change("timeout", 5), change("depth", 3))
    baseline = tmp_path / "previous.json"
    baseline.write_text(json_report.render(before))
    now = check(
        change("timeout", 9), change("merge checks", 0), problems=(Problem("a/b", "runners", "x", "error"),)
    )

    found = trend.compare(trend.findings(now), trend.load_baseline(baseline), str(baseline))

    assert (found.new, found.persisting, found.fixed) == (2, 1, 1)  # timeout drifted elsewhere: persisting
    assert [f.target for f in found.fixed_findings] == ["depth"]
    data = json.loads(json_report.render(now, found))
    assert data["trend"]["fixed_findings"] == [
        {"project": "a/b", "facet": "settings", "target": "depth", "kind": "drift"}
    ]
    assert [c["since"] for c in data["projects"][0]["changes"]] == ["persisting", "new"]
    assert data["projects"][0]["problems"][0]["since"] == "new"
    assert "since the baseline 2 new, 1 persisting, 1 fixed" in " ".join(
        text.render(now, trend=found).split()
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read it (No such file or directory)"),
        ("{not json", "cannot read it (JSONDecodeError)"),
        ('{"format": "provisioner-report/1", "mode": "plan", "projects": []}', "not a report written by"),
        (
            '{"format": "provisioner-report/1", "mode": "check", "projects": [{"changes": []}]}',
            "lacks its fields",
        ),
    ],
)
def test_a_baseline_that_is_not_a_check_report_is_refused_naming_the_file(
    tmp_path: Path, content: str | None, says: str
) -> None:
    path = tmp_path / "previous.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        trend.load_baseline(path)
    assert str(caught.value).startswith(f"--baseline {path}: ") and says in str(caught.value)
