"""Rendering rules: strict about undefined variables, no HTML escaping, deterministic, paths stay inside."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from ruamel.yaml import YAML

from provisioner.blueprint import render
from provisioner.errors import InputError

TEMPLATES = Path("python-package") / "templates"


def test_a_missing_variable_is_an_error_not_an_empty_string(blueprint_root: Path) -> None:
    template = blueprint_root / TEMPLATES / "gitlab-ci.yml.j2"
    template.write_text(template.read_text() + "# {{ no_such_variable }}\n")
    with pytest.raises(InputError) as caught:
        render("python-package", {}, project_path="g/demo", root=blueprint_root)
    [problem] = caught.value.problems
    assert problem.file == str(template)
    assert "'no_such_variable' is undefined" in problem.message


def test_no_html_escaping_in_yaml_or_toml() -> None:
    value = "a <b> & 'c' \"d\""
    rendering = render(
        "python-package", {"description": value, "runner_tags": ["x<&>"]}, project_path="g/demo"
    )
    pyproject = rendering.file("pyproject.toml").text
    assert tomlkit.parse(pyproject)["project"]["description"] == value
    assert "&lt;" not in pyproject and "&amp;" not in pyproject
    ci = rendering.file(".gitlab-ci.yml").text
    assert "x<&>" in ci and "\\u003c" not in ci
    assert YAML(typ="safe").load(ci)["default"]["tags"] == ["x<&>"]


def test_rendering_is_deterministic_and_records_resolved_variables() -> None:
    first = render("python-package", {"python_versions": ["3.12", "3.11"]}, project_path="g/demo-pkg")
    second = render("python-package", {"python_versions": ["3.12", "3.11"]}, project_path="g/demo-pkg")
    assert first == second
    assert [f.sha256 for f in first.files] == [f.sha256 for f in second.files]
    assert first.variables["import_name"] == "demo_pkg"
    assert first.paths == (
        ".gitlab-ci.yml",
        "ci/constraints.txt",
        "ci/release.py",
        "pyproject.toml",
        "README.md",
        "src/demo_pkg/__init__.py",
        "tests/test_smoke.py",
        ".gitignore",
    )
    assert all(f.text.endswith("\n") for f in first.files)


def test_pyproject_follows_the_build_backend() -> None:
    hatch = tomlkit.parse(render("python-package", {}, project_path="g/demo").file("pyproject.toml").text)
    assert hatch["build-system"]["build-backend"] == "hatchling.build"
    assert hatch["tool"]["hatch"]["version"]["source"] == "vcs"
    assert hatch["project"]["dynamic"] == ["version"]
    assert hatch["project"]["requires-python"] == ">=3.11"
    setup = tomlkit.parse(
        render(
            "python-package",
            {"build_backend": "setuptools", "python_versions": ["3.13", "3.10"]},
            project_path="g/d",
        )
        .file("pyproject.toml")
        .text
    )
    assert setup["build-system"]["requires"] == ["setuptools>=77", "setuptools-scm>=8"]
    assert "setuptools_scm" in setup["tool"] and "hatch" not in setup["tool"]
    assert setup["project"]["requires-python"] == ">=3.10"


def test_a_rendered_path_cannot_leave_the_repository(blueprint_root: Path) -> None:
    with pytest.raises(InputError, match="leaves the repository"):
        render(
            "python-package",
            {"import_name": "x"},
            project_path="g/demo",
            root=_with_path(blueprint_root, "../x"),
        )


def _with_path(root: Path, path: str) -> Path:
    manifest = root / "python-package" / "blueprint.yaml"
    manifest.write_text(manifest.read_text().replace("  - path: tests/test_smoke.py", f"  - path: {path}"))
    return root
