"""Checks of merged files before commit: conflict markers, YAML as GitLab reads it, GitLab's CI schema, TOML."""

from __future__ import annotations

import pytest

from provisioner.blueprint import conflict_marker_line, problem_in, render
from provisioner.blueprint.checks import pipeline_jobs

JOB = "test:\n  script: [pytest]\n"

PROBLEMS: list[tuple[str, str, str, str]] = [
    # (case, path, text, a part of the problem)
    ("marker in any file", "notes.txt", "a\n<<<<<<< blueprint notes.txt\nb\n", "conflict marker at line 2"),
    (
        "closing marker",
        ".gitlab-ci.yml",
        JOB + ">>>>>>> current .gitlab-ci.yml\n",
        "conflict marker at line 3",
    ),
    ("a bare marker line", "x.md", "a\n>>>>>>>\n", "conflict marker at line 2"),
    (
        "duplicate key in a job",
        ".gitlab-ci.yml",
        JOB + "  interruptible: true\n  interruptible: false\n",
        'not valid YAML at line 4: found duplicate key "interruptible"',
    ),
    ("unbalanced flow", "other.yaml", "a: [\n", "not valid YAML at line 2"),
    (
        "unknown job keyword",
        ".gitlab-ci.yml",
        JOB + "  stag: test\n",
        "at test: Additional properties are not allowed ('stag' was unexpected)",
    ),
    ("wrong type", ".gitlab-ci.yml", JOB + "  interruptible: maybe\n", "at test.interruptible:"),
    ("TOML twice the same key", "pyproject.toml", "a = 1\na = 2\n", "not valid TOML"),
]


@pytest.mark.parametrize(
    ("path", "text", "expected"), [c[1:] for c in PROBLEMS], ids=[c[0] for c in PROBLEMS]
)
def test_what_may_not_be_committed_is_named(path: str, text: str, expected: str) -> None:
    problem = problem_in(path, text)
    assert problem is not None and expected in problem, problem


FINE: list[tuple[str, str, str]] = [
    ("the rendered pipeline", ".gitlab-ci.yml", ""),  # filled in below
    (
        "GitLab's !reference tag",
        ".gitlab-ci.yml",
        ".x:\n  script: [a]\ntest:\n  script: [!reference [.x, script]]\n",
    ),
    ("YAML 1.1 booleans, as Psych reads them", ".gitlab-ci.yml", JOB + "  interruptible: yes\n"),
    ("an inputs header document", ".gitlab-ci.yml", "spec:\n  inputs:\n    a: {default: x}\n---\n" + JOB),
    ("a date-like variable", ".gitlab-ci.yml", JOB + "  variables: {SINCE: 2024-01-01}\n"),
    ("other YAML is not a pipeline", "config.yml", "anything: {goes: here}\n"),
    ("a Markdown heading underline is no marker", "README.md", "Title\n=======\n"),
    ("TOML", "pyproject.toml", '[project]\nname = "x"\n'),
]


@pytest.mark.parametrize(("path", "text"), [c[1:] for c in FINE], ids=[c[0] for c in FINE])
def test_what_gitlab_reads_passes(path: str, text: str) -> None:
    if not text:
        text = render("python-package", {}, project_path="team/demo").file(path).text
    assert problem_in(path, text) is None


def test_the_check_does_not_teach_the_inventory_reader_gitlab_s_tag() -> None:
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import ConstructorError

    problem_in(".gitlab-ci.yml", "a: !reference [b, c]\n")
    with pytest.raises(ConstructorError):
        YAML(typ="safe").load("a: !reference [b, c]\n")


def test_conflict_marker_line() -> None:
    assert conflict_marker_line("a\nb\n") is None
    assert conflict_marker_line("<<<<<<<< eight is not git's\n") is None
    assert conflict_marker_line("x\ny\n<<<<<<< ours\n") == 3


def test_pipeline_jobs_leave_out_global_keywords_and_templates() -> None:
    text = "stages: [a]\ndefault: {image: x}\n.tpl: {script: [a]}\nlint: {script: [a]}\ntest: {script: [b]}\n"
    assert pipeline_jobs(text) == ("lint", "test")
    assert pipeline_jobs("a: [\n") is None
    assert pipeline_jobs("- just a list\n") is None


def test_a_billion_laughs_pipeline_is_refused_quickly() -> None:
    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 10):
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        laughs.append(
            f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]"
        )
    problem = problem_in(".gitlab-ci.yml", "\n".join(laughs) + "\n")
    assert problem is not None and "too big or too deep once its aliases are expanded" in problem


def test_the_product_checks_with_the_schema_the_tests_validate_renderings_with() -> None:
    from pathlib import Path

    from provisioner.blueprint.checks import SCHEMA_PATH

    tests_copy = Path(__file__).resolve().parents[1] / "data" / "gitlab-ci-schema.json"
    assert SCHEMA_PATH.read_bytes() == tests_copy.read_bytes()
