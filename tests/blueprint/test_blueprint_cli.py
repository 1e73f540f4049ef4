"""`provisioner blueprint list` and `provisioner blueprint render`."""

from __future__ import annotations

from pathlib import Path

import tomlkit
from ruamel.yaml import YAML
from typer.testing import CliRunner

from provisioner.blueprint import LOCK_PATH, read_lock
from provisioner.cli import app
from tests.support import PYTHON_PACKAGE


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_blueprints_with_their_variables() -> None:
    code, out, _ = invoke("blueprint", "list")
    assert code == 0
    assert out.startswith(f"{PYTHON_PACKAGE}\n")
    assert "  signing (str; default: 'auto')\n" in out
    assert "  pypi_attestations (bool; default: True)\n" in out
    assert "  import_name (str; derived: " in out


def test_render_into_an_empty_folder_then_again_changes_nothing(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    args = [
        "blueprint",
        "render",
        "python-package",
        "--out",
        str(out_dir),
        "--var",
        "distribution_name=acme-tools",
    ]
    args += [
        "--var",
        'python_versions=["3.12", "3.13"]',
        "--var",
        "signing=off",
        "--var",
        "description=3.12",
    ]
    code, out, err = invoke(*args)
    assert code == 0, err
    assert "create   .gitlab-ci.yml: missing\n" in out
    assert (out_dir / "src" / "acme_tools" / "__init__.py").is_file()
    ci = YAML(typ="safe").load((out_dir / ".gitlab-ci.yml").read_text())
    assert ci["test"]["parallel"]["matrix"] == [{"PYTHON_VERSION": ["3.12", "3.13"]}]
    assert "sign" not in ci
    # A text variable takes the value as written: 3.12 stays text instead of becoming a number.
    assert tomlkit.parse((out_dir / "pyproject.toml").read_text())["project"]["description"] == "3.12"
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}

    code, out, _ = invoke(*args)
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} == {"keep"}
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before


def test_render_into_a_checkout_keeps_team_edits(tmp_path: Path) -> None:
    args = ["blueprint", "render", "python-package", "--out", str(tmp_path), "--project", "g/demo"]
    assert invoke(*args)[0] == 0
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = []", 'dependencies = ["attrs"]  # ours')
    )
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(ci.read_text() + "\ndocs:\n  script: [make docs]\n")

    code, out, _ = invoke(*args, "--var", "runner_tags=[docker]")
    assert code == 0
    assert "update   .gitlab-ci.yml: blueprint changed; merged with the team's edits\n" in out
    assert "keep     pyproject.toml: tool-owned keys up to date\n" in out
    merged = YAML(typ="safe").load(ci.read_text())
    assert merged["default"]["tags"] == ["docker"] and merged["docs"] == {"script": ["make docs"]}
    assert 'dependencies = ["attrs"]  # ours' in pyproject.read_text()
    lock = read_lock((tmp_path / LOCK_PATH).read_text())
    assert lock is not None and lock.variables["runner_tags"] == ["docker"]


def test_render_reports_a_conflict_and_exits_1(tmp_path: Path) -> None:
    args = ["blueprint", "render", "python-package", "--out", str(tmp_path), "--project", "g/demo"]
    assert invoke(*args)[0] == 0
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(
        ci.read_text().replace('PYTHON_IMAGE: "python:3.14-bookworm"', 'PYTHON_IMAGE: "python:3.13-trixie"')
    )
    code, out, err = invoke(*args, "--var", "python_image=mirror/python")
    assert code == 1
    assert "conflict .gitlab-ci.yml: the blueprint's changes conflict with the team's edits\n" in out
    assert "conflicts (resolve the markers): .gitlab-ci.yml" in err
    assert "<<<<<<< blueprint .gitlab-ci.yml\n" in ci.read_text()


def test_bad_input_is_reported_without_a_traceback(tmp_path: Path) -> None:
    code, _, err = invoke(
        "blueprint",
        "render",
        "python-package",
        "--out",
        str(tmp_path),
        "--var",
        "signin=false",
        "--var",
        "oops",
    )
    assert code == 1
    assert err == "error: --var: oops: expected NAME=VALUE\n"
    code, _, err = invoke(
        "blueprint", "render", "python-package", "--out", str(tmp_path), "--var", "signin=false"
    )
    assert code == 1
    assert (
        "error: --var: blueprint_vars.signin: unknown variable for blueprint python-package; did you mean"
        in err
    )
    assert "blueprint_vars.distribution_name: required" in err
    assert list(tmp_path.iterdir()) == []
    code, _, err = invoke("blueprint", "render", "no-such", "--out", str(tmp_path))
    assert code == 1 and "unknown blueprint 'no-such'" in err


def test_an_out_folder_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    """Every command runs inside the one error boundary, the blueprint commands too."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = CliRunner().invoke(
        app,
        [
            "blueprint",
            "render",
            "python-package",
            "--var",
            "distribution_name=x",
            "--out",
            str(blocker / "out"),
        ],
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert (
        result.stderr.strip() == f"error: cannot write {blocker / 'out' / '.gitlab-ci.yml'}: Not a directory"
    )
