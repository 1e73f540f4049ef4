"""managed-keys: the tool's tables and keys are enforced; the team's edits, comments and layout survive."""

from __future__ import annotations

import pytest
import tomlkit

from provisioner.blueprint import RenderedFile, UnreadableFile, apply_owned_keys, render


@pytest.fixture(scope="module")
def pyproject() -> RenderedFile:
    return render("python-package", {}, project_path="g/demo-pkg").file("pyproject.toml")


def enforce(current: str, rendered: RenderedFile) -> str:
    return apply_owned_keys("pyproject.toml", current, rendered.text, rendered.rule)


TEAM_FILE = """\
# Billing service (team comment at the top)
[build-system]
requires = ["setuptools>=61"]  # legacy
build-backend = "setuptools.build_meta"

[project]
name = "billing"   # keep this comment
version = "1.0.0"
dependencies = [
    "requests>=2",  # http client
    "attrs",
]

[dependency-groups]
test = [
    "pytest>=7",
    "hypothesis",
]

[tool.black]
line-length = 100

[tool.pytest.ini_options]
addopts = ["-ra", "--strict-markers", "--strict-config", "--doctest-modules"]
markers = ["slow: slow tests"]
minversion = "7.0"
"""


def test_team_owned_parts_survive_byte_for_byte(pyproject: RenderedFile) -> None:
    out = enforce(TEAM_FILE, pyproject)
    for kept in (
        "# Billing service (team comment at the top)\n",
        '[project]\nname = "billing"   # keep this comment\nversion = "1.0.0"\ndependencies = [\n'
        '    "requests>=2",  # http client\n    "attrs",\n]\n',
        "[tool.black]\nline-length = 100\n",
        'markers = ["slow: slow tests"]\n',
    ):
        assert kept in out
    doc = tomlkit.parse(out)
    assert doc["dependency-groups"]["test"] == [
        "pytest>=7",
        "hypothesis",
        "pytest-cov>=5",
    ]  # pytest kept as pinned
    assert "--doctest-modules" in doc["tool"]["pytest"]["ini_options"]["addopts"]
    assert "dynamic" not in doc["project"]  # a static version is the team's to move to dynamic


def test_tool_owned_keys_are_reverted(pyproject: RenderedFile) -> None:
    doc = tomlkit.parse(enforce(TEAM_FILE, pyproject))
    assert doc["build-system"]["requires"] == ["hatchling>=1.27", "hatch-vcs>=0.4"]
    assert doc["build-system"]["build-backend"] == "hatchling.build"
    assert doc["tool"]["hatch"]["version"] == {"source": "vcs"}
    assert doc["tool"]["pytest"]["ini_options"]["minversion"] == "8.0"
    assert doc["tool"]["coverage"]["run"]["source_pkgs"] == ["demo_pkg"]
    assert doc["tool"]["coverage"]["run"]["branch"] is True
    assert doc["tool"]["coverage"]["report"]["show_missing"] is True


def test_dynamic_version_is_ensured_only_without_a_static_version(pyproject: RenderedFile) -> None:
    without_version = TEAM_FILE.replace('version = "1.0.0"\n', "")
    assert tomlkit.parse(enforce(without_version, pyproject))["project"]["dynamic"] == ["version"]
    with_other_dynamic = without_version.replace('name = "billing"', 'name = "billing"\ndynamic = ["readme"]')
    assert tomlkit.parse(enforce(with_other_dynamic, pyproject))["project"]["dynamic"] == [
        "readme",
        "version",
    ]


def test_enforcing_is_idempotent(pyproject: RenderedFile) -> None:
    once = enforce(TEAM_FILE, pyproject)
    assert once != TEAM_FILE
    assert enforce(once, pyproject) == once
    assert enforce(pyproject.text, pyproject) == pyproject.text  # the rendering is its own fixed point


def test_an_equal_value_keeps_the_team_layout(pyproject: RenderedFile) -> None:
    reformatted = pyproject.text.replace(
        'requires = ["hatchling>=1.27", "hatch-vcs>=0.4"]',
        'requires = [\n  "hatchling>=1.27",  # why: PEP 639\n  "hatch-vcs>=0.4",\n]',
    )
    assert enforce(reformatted, pyproject) == reformatted


def test_a_team_table_between_tool_tables_stays_in_place(pyproject: RenderedFile) -> None:
    current = pyproject.text.replace(
        "[tool.coverage.run]", "[tool.mypy]\nstrict = true\n\n[tool.coverage.run]"
    )
    current = current.replace("branch = true", "branch = false\nparallel = true")
    out = enforce(current, pyproject)
    assert out == current.replace("branch = false", "branch = true")


def test_a_missing_tool_table_is_added_without_touching_the_rest(pyproject: RenderedFile) -> None:
    current = '[project]\nname = "x"  # ours\ndynamic = ["version"]\n'
    out = enforce(current, pyproject)
    assert out.startswith(current)
    doc = tomlkit.parse(out)
    assert doc["tool"]["coverage"]["report"]["skip_empty"] is True
    assert doc["dependency-groups"]["test"] == ["pytest>=8", "pytest-cov>=5"]
    assert enforce(out, pyproject) == out


def test_an_unparsable_file_is_reported_not_overwritten(pyproject: RenderedFile) -> None:
    with pytest.raises(UnreadableFile, match=r"pyproject\.toml: cannot edit it"):
        enforce("[project\nname = 1\n", pyproject)


def test_a_key_where_the_tool_needs_a_table_is_reported(pyproject: RenderedFile) -> None:
    with pytest.raises(UnreadableFile, match=r"tool\.coverage\.run\.branch: coverage is not a table"):
        enforce('[tool]\ncoverage = "yes"\n', pyproject)
