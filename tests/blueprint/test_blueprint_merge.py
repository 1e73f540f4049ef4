"""Three-way merge: the blueprint's update and the team's edit, together."""

from __future__ import annotations

from provisioner.blueprint import merge_three_way

BASE = "stages: [test, build]\n\ntest:\n  script:\n    - pytest\n\nbuild:\n  script:\n    - python -m build\n"


def test_clean_merge_keeps_the_team_edit_and_takes_the_blueprint_change() -> None:
    ours = BASE.replace("    - pytest\n", "    - pytest --junitxml=junit.xml\n")  # blueprint update
    theirs = BASE + "\ndocs:\n  script:\n    - make docs\n"  # team adds a job
    result = merge_three_way(BASE, ours, theirs)
    assert not result.conflicted
    assert result.text == ours + "\ndocs:\n  script:\n    - make docs\n"


def test_conflicting_edit_gives_markers_and_the_flag() -> None:
    ours = BASE.replace("    - pytest\n", "    - pytest --junitxml=junit.xml\n")
    theirs = BASE.replace("    - pytest\n", "    - pytest -x\n")
    result = merge_three_way(BASE, ours, theirs, ours_label="blueprint 1.1.0", theirs_label="main")
    assert result.conflicted
    assert (
        "<<<<<<< blueprint 1.1.0\n    - pytest --junitxml=junit.xml\n=======\n    - pytest -x\n>>>>>>> main\n"
        in result.text
    )
    assert result.text.startswith("stages: [test, build]\n") and result.text.endswith(
        "    - python -m build\n"
    )


def test_trivial_cases() -> None:
    edited = BASE + "# ours\n"
    assert merge_three_way(BASE, BASE, edited).text == edited  # blueprint unchanged: the team's file stands
    assert merge_three_way(BASE, edited, BASE).text == edited  # file untouched: the new rendering
    assert merge_three_way(BASE, edited, edited).text == edited  # both made the same change


def test_a_last_line_without_newline_never_joins_a_marker() -> None:
    base = "a\nb"
    result = merge_three_way(base, "a\nc", "a\nd")
    assert result.conflicted
    assert result.text == "a\n<<<<<<< blueprint\nc\n=======\nd\n>>>>>>> current\n"
