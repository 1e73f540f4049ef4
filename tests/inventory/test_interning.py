"""Equal frozen values of a loaded inventory are one object, shared by the projects that have them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from provisioner.inventory import load_inventory
from provisioner.inventory.interning import Interner
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import ResolvedVariable
from provisioner.secrets import Unresolved
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


class _Loose(BaseModel):  # not frozen: may be changed, so never merged with another
    value: int | bool = 0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: int | bool = 0
    items: list[Any] = []


def test_equal_values_are_one_object_and_unequal_ones_stay_apart() -> None:
    shared = Interner()
    first = shared.value(_Frozen(value=1, items=[1, "a", {"k": [2]}]))
    assert shared.value(_Frozen(value=1, items=[1, "a", {"k": [2]}])) is first
    assert shared.value([1, "a", {"k": [2]}]) is first.items
    # 1 == True, [] == (), a field given or left to its default: each still a value of its own
    assert shared.value(_Frozen(value=True, items=[1, "a", {"k": [2]}])) is not first
    assert shared.value(_Frozen(value=1, items=[True, "a", {"k": [2]}])) is not first
    assert shared.value((1, "a", {"k": [2]})) is not first.items
    assert shared.value(_Frozen()) is not shared.value(_Frozen(value=0))
    assert shared.value(_Frozen(value=0)).model_fields_set == {"value"}
    loose = _Loose(value=1)
    assert shared.value(loose) is loose and shared.value(_Loose(value=1)) is not loose


class _Inner(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str


class _Outer(BaseModel):
    model_config = ConfigDict(frozen=True)
    inner: _Inner = _Inner(name="".join(["de", "fault"]))  # hashable: pydantic hands out this very one


def test_a_fields_default_instance_is_never_changed() -> None:
    """A model whose children are replaced by shared ones is copied, never changed in place: it may
    be the default instance every model that leaves the field out holds."""
    default = _Outer.model_fields["inner"].default
    name = default.name
    shared = Interner()
    first = shared.value("default")  # met first: the one every equal text becomes
    outer = shared.value(_Outer())
    assert outer.inner.name is first and outer.inner == default
    assert default.name is name and name is not first


def test_unresolved_secrets_with_the_same_reference_and_reason_are_shared() -> None:
    """A read-only run makes an `Unresolved` per project that names the secret."""
    shared = Interner()

    def variables() -> tuple[ResolvedVariable, ...]:
        return (ResolvedVariable("TOKEN", Unresolved("env:TOKEN", "not set"), masked=True),)

    first = shared.variables(variables())
    assert shared.variables(variables()) is first
    other = (ResolvedVariable("TOKEN", Unresolved("env:OTHER", "not set"), masked=True),)
    assert shared.variables(other) is not first


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
