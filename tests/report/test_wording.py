"""One change, in three voices: plan says what apply will do, apply what it did, check how GitLab
differs from the inventory. Never a Python repr, never a value of what the inventory does not name."""

from __future__ import annotations

import pytest

from provisioner.model import SENSITIVE, Action, Change
from provisioner.report import wording

TIMEOUT = Change(
    "settings", "project settings", Action.UPDATE, {"build_timeout": 7200}, {"build_timeout": 1800}
)
REGEX = Change(
    "registry",
    "container cleanup policy",
    Action.UPDATE,
    {"name_regex_keep": None},
    {"name_regex_keep": "^v\\d+"},
)
SECRET = Change(
    "variables",
    "variable SONAR_TOKEN",
    Action.CREATE,
    None,
    {"value": SENSITIVE, "masked": True, "raw": False},
)
PRUNED = Change("variables", "variable OLD_KEY", Action.DELETE, {"value": "hunter22", "masked": False})
UNMANAGED = Change(
    "variables", "variable LEGACY_FLAG", Action.UNMANAGED, {"value": "hunter22", "masked": False}
)
AWAITING = Change(
    "files",
    "file .gitlab-ci.yml",
    Action.AWAITING,
    None,
    {"policy": "managed", "merge_request": "https://g/mr/1"},
)


def text(change: Change, mode: str) -> str:
    return "\n".join(wording.lines(wording.describe(change, mode)))


@pytest.mark.parametrize(
    ("change", "mode", "expected"),
    [
        (TIMEOUT, "check", "~ settings: project settings differs from the inventory\n"
                           "      build_timeout: GitLab has 7200; the inventory wants 1800"),
        (TIMEOUT, "plan", "~ settings: project settings will change\n      build_timeout: 7200 → 1800"),
        (TIMEOUT, "apply", "~ settings: project settings changed\n      build_timeout: 7200 → 1800"),
        (REGEX, "plan", "~ registry: container cleanup policy will change\n      name_regex_keep: null → ^v\\d+"),
        # check: a variable deleted behind the tool's back is missing on GitLab, not "+"
        (SECRET, "check", "- variables: variable SONAR_TOKEN is missing on GitLab\n"
                          "      value: (sensitive)\n      masked: true"),
        (SECRET, "plan", "+ variables: variable SONAR_TOKEN will be created\n"
                         "      value: (sensitive)\n      masked: true"),
        (PRUNED, "plan", "- variables: variable OLD_KEY will be deleted"),
        (PRUNED, "check", "+ variables: variable OLD_KEY is on GitLab but not in the inventory (apply deletes it)"),
        (UNMANAGED, "check", "? variables: variable LEGACY_FLAG is not in the inventory: left as it is"),
        (AWAITING, "plan", "… files: file .gitlab-ci.yml waits in merge request https://g/mr/1"),
        (AWAITING, "check", "… files: file .gitlab-ci.yml differs; the fix waits in merge request https://g/mr/1"),
    ],
)  # fmt: skip
def test_each_voice(change: Change, mode: str, expected: str) -> None:
    assert text(change, mode) == "  " + expected


@pytest.mark.parametrize("mode", ["plan", "apply", "check"])
@pytest.mark.parametrize("change", [TIMEOUT, REGEX, SECRET, PRUNED, UNMANAGED, AWAITING])
def test_no_python_repr_nor_an_unnamed_value(change: Change, mode: str) -> None:
    shown = text(change, mode)
    for repr_only in ("None", "True", "False", "'", "\\\\", "{", "->"):
        assert repr_only not in shown, shown
    assert "hunter22" not in shown  # the value of a variable the inventory does not name


def test_awaiting_changes_of_one_merge_request_read_as_one_line() -> None:
    second = Change(
        "files", "file pyproject.toml", Action.AWAITING, None, {"merge_request": "https://g/mr/1"}
    )
    described = wording.describe_all([(AWAITING, None), (second, None), (TIMEOUT, None)], "check")
    assert [d.headline for d in described] == [
        "files: 2 differences; the fix waits in merge request https://g/mr/1",
        "settings: project settings differs from the inventory",
    ]
    assert described[0].fields == ("file .gitlab-ci.yml, file pyproject.toml",)
    created = Change("files", "file README.md", Action.CREATE, None, {"policy": "seed"})
    proposed = wording.describe_all([(created, "https://g/mr/2"), (second, "https://g/mr/2")], "apply")
    assert [d.headline for d in proposed] == ["files: 2 changes proposed in merge request https://g/mr/2"]


def test_the_legend_names_the_symbols_used_in_the_voice_of_the_output() -> None:
    assert wording.legend({"+", "~"}, "plan") == "legend: + create, ~ change"
    assert wording.legend({"-", "?"}, "check") == (
        "legend: - missing on GitLab, ? not in the inventory: reported, left as it is"
    )
    assert wording.legend(set(), "check") is None


def test_a_new_files_diff_is_its_size() -> None:
    new_file = Change(
        "files", "file README.md", Action.CREATE, None, {"policy": "seed"}, "+++ b/README.md\n+a\n+b\n"
    )
    assert text(new_file, "plan").splitlines()[-1] == "      (new content: 2 lines)"
    edited = Change(
        "files", "file ci", Action.UPDATE, None, {"policy": "managed"}, "--- a/ci\n+++ b/ci\n-x\n+y\n"
    )
    assert text(edited, "check").splitlines()[-2:] == ["      -x", "      +y"]
