"""Component mode is checked offline, at the place each mistake is written: a component project that
would be scaffolded itself, a blueprint_component without a blueprint, the component project's
variables (its inputs are each project's), a version that is not a semantic version."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from tests.inventory.conftest import WriteFiles


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISIONER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("PROVISIONER_LOG_FILE", str(tmp_path / "provisioner.log"))


def validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", "--inventory", str(path)])
    return result.exit_code, result.stdout + result.stderr


GOOD = """\
    version: 1
    defaults:
      blueprint: python-package
      blueprint_component: {project: platform/ci-components, version: 1.2.0}
    projects:
      platform/billing: {}
      platform/ci-components:
        blueprint: null
        component: {blueprint: python-package, version: 1.2.0, blueprint_vars: {signing: key}}
    """


def test_a_component_estate_validates(write_files: WriteFiles) -> None:
    assert validate(write_files({"inventory.yaml": GOOD})) == (0, "ok: 2 projects, 0 groups\n")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "        blueprint: null\n",
            "",
            ":8:5: projects.platform/ci-components.component: a component project holds blueprint "
            "python-package's component, it is not scaffolded with it: set blueprint: null in this project",
        ),
        (
            "blueprint_vars: {signing: key}",
            "blueprint_vars: {signing: key, signatures_package: x}",
            ":9:91: projects.platform/ci-components.component.blueprint_vars.signatures_package: an input "
            "of the component: each project gives it",
        ),
        (
            "blueprint_vars: {signing: key}",
            "blueprint_vars: {sigining: key}",
            "component.blueprint_vars.sigining: unknown variable for blueprint python-package; did you mean 'signing'?",
        ),
        (
            "      platform/billing: {}\n",
            "      platform/billing: {blueprint: null}\n",
            # said where the inherited value is written
            ":4:3: defaults.blueprint_component: blueprint_component without a blueprint",
        ),
        (
            "version: 1.2.0}\n    projects",
            "version: v1.2}\n    projects",
            "defaults.blueprint_component.version:",
        ),
    ],
)
def test_a_mistake_is_told_where_it_is_written(
    write_files: WriteFiles, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    code, output = validate(write_files({"inventory.yaml": GOOD.replace(old, new, 1)}))
    assert code == 1 and expected in output, output
