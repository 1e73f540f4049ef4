"""`validate` warns where an inventory leaves a blueprint's needs unmet (provisioner/blueprint/needs.py):
said once at the place that decides it, never an error, and nothing when the facets fulfil them."""

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
    return result.exit_code, result.stderr


def test_release_tags_turned_off_are_one_warning_where_they_are_turned_off(write_files: WriteFiles) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults:
                  blueprint: python-package
                  protection:
                    release_tags: false
                projects:
                  platform/billing: {}
                  platform/payments: {}
                  platform/search:
                    protection: {tags: {"*": {create_access_level: maintainer}}}
                """
        }
    )
    code, stderr = validate(main)
    assert code == 0
    assert stderr == (
        f"warning: {main}:5:5: defaults.protection.release_tags: blueprint python-package releases only "
        "from protected tags v*, and nothing protects them here (tags names no rule covering v*): its "
        "release jobs will never run\n"
    )


def test_no_warning_when_the_facets_fulfil_the_needs(write_files: WriteFiles) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults: {blueprint: python-package}
                projects:
                  platform/billing: {}
                  platform/other: {blueprint: null, protection: {release_tags: false}}
                """
        }
    )
    assert validate(main) == (0, "")


def test_environments_turned_off_are_named_unless_the_inventory_protects_them(
    write_files: WriteFiles,
) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults:
                  blueprint: python-package
                projects:
                  platform/billing:
                    blueprint_vars: {publish_to: [gitlab, pypi]}
                    protected_environments:
                      blueprint: false
                      environments: {pypi: {deploy: [maintainer]}}
                  platform/payments:
                    protected_environments: {blueprint: false, environments: {gitlab-packages: {deploy: [maintainer]}}}
                """
        }
    )
    code, stderr = validate(main)
    assert code == 0
    assert stderr == (
        f"warning: {main}:8:7: projects.platform/billing.protected_environments.blueprint: blueprint "
        "python-package publishes from the environments gitlab-packages, and nothing protects them here "
        "(environments does not name them): anyone who may run a pipeline may publish\n"
    )
