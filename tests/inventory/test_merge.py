"""Merge semantics: defaults < groups (ancestors first) < project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.inventory import load_inventory
from provisioner.inventory.document import Document
from provisioner.inventory.merge import Layer, merge_layers, strip_removals
from tests.inventory.conftest import WriteFiles, no_blueprint_problems


def layers(*data: dict[str, Any]) -> list[Layer]:
    return [Layer(Document(f"layer{index}.yaml", entry), ()) for index, entry in enumerate(data)]


CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    (
        "mappings merge deeply",
        [{"settings": {"a": 1, "b": 2}}, {"settings": {"b": 3, "c": 4}}],
        {"settings": {"a": 1, "b": 3, "c": 4}},
    ),
    (
        "nested mappings merge deeply",
        [
            {"blueprint_vars": {"python": {"min": "3.11", "max": "3.13"}}},
            {"blueprint_vars": {"python": {"min": "3.12"}}},
        ],
        {"blueprint_vars": {"python": {"min": "3.12", "max": "3.13"}}},
    ),
    (
        "lists replace",
        [{"settings": {"topics": ["a", "b"]}}, {"settings": {"topics": ["c"]}}],
        {"settings": {"topics": ["c"]}},
    ),
    (
        "null removes an inherited key",
        [{"settings": {"a": 1, "b": 2}}, {"settings": {"a": None}}],
        {"settings": {"b": 2}},
    ),
    (
        "null removes an inherited section",
        [{"runners": {"shared_runners_enabled": True}, "blueprint": "x"}, {"runners": None}],
        {"blueprint": "x"},
    ),
    (
        "null with nothing inherited is just absent",
        [{"settings": {"a": None}}],
        {"settings": {}},
    ),
    (
        "a later layer can set again what a middle one removed",
        [{"settings": {"a": 1}}, {"settings": {"a": None}}, {"settings": {"a": 3}}],
        {"settings": {"a": 3}},
    ),
    (
        "a mapping replaces a scalar",
        [{"blueprint_vars": {"x": 1}}, {"blueprint_vars": {"x": {"y": 2}}}],
        {"blueprint_vars": {"x": {"y": 2}}},
    ),
    (
        "a scalar replaces a mapping",
        [{"blueprint_vars": {"x": {"y": 2}}}, {"blueprint_vars": {"x": 3}}],
        {"blueprint_vars": {"x": 3}},
    ),
    (
        "null inside a list is a value",
        [{"settings": {"topics": ["a", None]}}],
        {"settings": {"topics": ["a", None]}},
    ),
    (
        "variables from several layers add up",
        [{"variables": {"A": "1"}}, {"variables": {"B": "2"}}],
        {"variables": {"A": "1", "B": "2"}},
    ),
    (
        "a variable is replaced whole, never field by field",
        [{"variables": {"T": {"secret": "env:T", "masked": True}}}, {"variables": {"T": {"value": "plain"}}}],
        {"variables": {"T": {"value": "plain"}}},
    ),
    (
        "all scopes of a variable are replaced together",
        [{"variables": {"T": [{"value": "a", "environment_scope": "prod"}]}}, {"variables": {"T": "b"}}],
        {"variables": {"T": "b"}},
    ),
    (
        "null removes an inherited variable",
        [{"variables": {"T": "x", "U": "y"}}, {"variables": {"T": None}}],
        {"variables": {"U": "y"}},
    ),
    (
        "a variable entry is kept as written, nulls included",
        [{"variables": {"T": {"value": "x", "description": None}}}],
        {"variables": {"T": {"value": "x", "description": None}}},
    ),
    (
        "prune is inherited like any flag",
        [{"variables": {"prune": True, "A": "1"}}, {"variables": {"B": "2"}}],
        {"variables": {"prune": True, "A": "1", "B": "2"}},
    ),
    (
        "prune is overridden like any flag",
        [{"variables": {"prune": True}}, {"variables": {"prune": False}}],
        {"variables": {"prune": False}},
    ),
]


@pytest.mark.parametrize(
    ("layered", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_merge(layered: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    assert merge_layers(layers(*layered)).data == expected


def test_merging_leaves_the_layers_untouched() -> None:
    first, second = {"settings": {"a": 1}, "variables": {"T": {"value": "x"}}}, {"settings": {"a": None}}
    merge_layers(layers(first, second)).data["variables"]["T"]["value"] = "changed"
    assert first == {"settings": {"a": 1}, "variables": {"T": {"value": "x"}}}
    assert second == {"settings": {"a": None}}


def test_skipped_keys_are_left_out() -> None:
    merged = merge_layers(
        layers({"group_variables": {"A": "1"}, "blueprint": "x"}), skip=frozenset({"group_variables"})
    )
    assert merged.data == {"blueprint": "x"}


def test_strip_removals_reads_a_layer_on_its_own() -> None:
    assert strip_removals({"settings": {"a": None, "b": 1}, "runners": None}) == {"settings": {"b": 1}}


def test_every_value_remembers_the_layer_that_wrote_it() -> None:
    defaults, group, project = layers(
        {"settings": {"a": 1, "b": 2}, "variables": {"T": {"value": "x", "masked": True}}},
        {"settings": {"b": 3}},
        {"variables": {"T": {"value": "y"}}, "settings": {"a": None}},
    )
    merged = merge_layers([defaults, group, project])

    def origin(*path: str) -> Layer | None:
        return merged.origin.get(path)

    assert origin("settings", "b") is group
    assert origin("variables", "T") is project
    assert origin("variables", "T", "value") is project
    assert origin("variables", "T", "masked") is None  # replaced whole: nothing of the default is left
    assert origin("settings", "a") is None
    assert merged.source(("settings", "a")) == (
        project,
        ("settings",),
    )  # removed: its mapping was last written there


@pytest.fixture
def precedence_inventory(write_files: WriteFiles) -> Path:
    return write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults:
                  settings: {build_timeout: 3600, public_jobs: false, merge_method: merge}
                  variables: {LEVEL: defaults, FROM_DEFAULTS: "yes"}
                groups:
                  platform/backend:
                    settings: {merge_method: ff}
                    variables: {LEVEL: subgroup}
                  platform:
                    settings: {build_timeout: 7200, merge_method: rebase_merge}
                    variables: {LEVEL: group, FROM_GROUP: "yes"}
                  platform-tools:
                    settings: {public_jobs: true}
                projects:
                  platform/backend/api:
                    settings: {build_timeout: null}
                  PLATFORM/billing: {}
                  platform-tools/cli:
                  platform/backend/worker:
                    variables: {LEVEL: project, FROM_DEFAULTS: null}
                """
        }
    )


def test_precedence_defaults_then_groups_shallowest_first_then_project(precedence_inventory: Path) -> None:
    loaded = load_inventory(precedence_inventory, check_blueprint=no_blueprint_problems)
    specs = {spec.path: spec for spec in loaded.projects}

    def settings(path: str) -> dict[str, Any]:
        return specs[path].config.settings.model_dump(exclude_none=True)

    def variables(path: str) -> dict[str, Any]:
        return {variable.key: variable.value for variable in specs[path].variables}

    assert settings("platform/backend/api") == {"public_jobs": False, "merge_method": "ff"}
    assert variables("platform/backend/api") == {
        "LEVEL": "subgroup",
        "FROM_DEFAULTS": "yes",
        "FROM_GROUP": "yes",
    }
    assert variables("platform/backend/worker") == {"LEVEL": "project", "FROM_GROUP": "yes"}
    # group paths match whatever the case; platform-tools is not inside platform
    assert settings("PLATFORM/billing") == {
        "build_timeout": 7200,
        "public_jobs": False,
        "merge_method": "rebase_merge",
    }
    assert settings("platform-tools/cli") == {
        "build_timeout": 3600,
        "public_jobs": True,
        "merge_method": "merge",
    }
    assert variables("platform-tools/cli") == {"LEVEL": "defaults", "FROM_DEFAULTS": "yes"}
