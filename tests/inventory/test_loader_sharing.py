"""The loaded inventory: equal frozen values are one object, shared by the projects that have them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.inventory import load_inventory
from provisioner.inventory.schema import Project
from tests.inventory.conftest import WriteFiles, no_blueprint_problems

INVENTORY = """\
    version: 1
    defaults:
      settings: {build_timeout: 3600, public_jobs: false}
      variables:
        LOG_LEVEL: info
        TOKEN: {secret: "env:INTERNING_TOKEN", masked: true}
      registry:
        cleanup_policy: {enabled: true, cadence: 7d, keep_n: 10}
        package_protection_rules:
          - {package_name_pattern: "app-*", package_type: pypi, minimum_access_level_for_push: maintainer}
      protection:
        tags: {"v*": {create_access_level: maintainer}}
    projects:
      team/one:
        registry: {deploy_tokens: [{name: one, scopes: [read_registry]}]}
      team/two:
        registry: {deploy_tokens: [{name: two, scopes: [read_registry]}]}
      team/three:
        settings: {build_timeout: 7200}
      team/four:
        settings: {build_timeout: 3600}
    """


@pytest.fixture
def loaded(write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("INTERNING_TOKEN", "interning-token-value-1234")
    path = write_files({"inventory.yaml": INVENTORY})
    inventory = load_inventory(path, check_blueprint=no_blueprint_problems)
    return {spec.path: spec for spec in inventory.projects}


def test_projects_that_inherit_the_same_sections_hold_one_copy(loaded: dict[str, Any]) -> None:
    one, two, three = loaded["team/one"], loaded["team/two"], loaded["team/three"]
    assert one.config.settings is two.config.settings
    assert one.config.protection is two.config.protection is three.config.protection
    assert one.variables is two.variables is three.variables
    # within sections that differ, what is the same is still shared
    assert one.config.registry != two.config.registry
    assert one.config.registry.cleanup_policy is two.config.registry.cleanup_policy
    rules = one.config.registry.package_protection_rules
    assert rules is two.config.registry.package_protection_rules
    assert one.config.registry.deploy_tokens[0].scopes is two.config.registry.deploy_tokens[0].scopes
    assert three.config.settings.build_timeout == 7200
    assert three.config.settings is not one.config.settings


def test_a_value_written_again_is_not_the_value_inherited(loaded: dict[str, Any]) -> None:
    """team/four writes the build_timeout defaults already give: equal values, same fields named,
    one object; what each project's sections say is unchanged by the sharing."""
    one, four = loaded["team/one"], loaded["team/four"]
    assert four.config.settings is one.config.settings
    assert one.config.settings.model_fields_set == {"build_timeout", "public_jobs"}
    assert [v.key for v in one.variables] == ["LOG_LEVEL", "TOKEN"]
    assert one.variables[1].value.reveal() == "interning-token-value-1234"


def test_a_loaded_spec_equals_one_loaded_without_sharing(write_files: WriteFiles, tmp_path: Path) -> None:
    """Sharing changes no value: each project's config is what validating it alone gives."""
    path = write_files(
        {"inventory.yaml": INVENTORY.replace('{secret: "env:INTERNING_TOKEN", masked: true}', "x")}
    )
    specs = {s.path: s for s in load_inventory(path, check_blueprint=no_blueprint_problems).projects}
    alone = Project.model_validate(
        {
            "settings": {"build_timeout": 7200, "public_jobs": False},
            "variables": {"LOG_LEVEL": "info", "TOKEN": "x"},
            "registry": {
                "cleanup_policy": {"enabled": True, "cadence": "7d", "keep_n": 10},
                "package_protection_rules": [
                    {
                        "package_name_pattern": "app-*",
                        "package_type": "pypi",
                        "minimum_access_level_for_push": "maintainer",
                    }
                ],
            },
            "protection": {"tags": {"v*": {"create_access_level": "maintainer"}}},
        }
    )
    config = specs["team/three"].config
    assert config.model_dump() == alone.model_dump()
    assert config.model_dump(exclude_unset=True) == alone.model_dump(exclude_unset=True)


def test_a_read_only_load_shares_the_secrets_it_was_not_given(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the secret, each project's variable holds an `Unresolved`: one for the inventory."""
    monkeypatch.delenv("INTERNING_TOKEN", raising=False)
    path = write_files({"inventory.yaml": INVENTORY})
    inventory = load_inventory(path, check_blueprint=no_blueprint_problems, require_secrets=False)
    one, two = inventory.projects[:2]
    assert one.variables is two.variables
    assert type(one.variables[1].value).__name__ == "Unresolved"
