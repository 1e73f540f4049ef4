"""Pure: an estate (as read) becomes one inventory text, checked through the real loader."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from ruamel.yaml import YAML

from provisioner.facets import FACETS
from provisioner.gitlab.variables import VariableRecord
from provisioner.model import GroupRef, ProjectRef
from provisioner.onboard import importer
from provisioner.onboard.describe import describe_target
from provisioner.onboard.estate import Estate, TargetState

SECRET = "masked-value-1234567"


def project(path: str, **attributes: Any) -> TargetState:
    entity = {"id": hash(path) % 10_000, "path_with_namespace": path, "default_branch": "main", **attributes}
    ref = ProjectRef(entity["id"], path, "main", attributes=MappingProxyType(entity))
    variables = [VariableRecord("TOKEN", SECRET, masked=True), VariableRecord("LEVEL", path[-1])]
    return TargetState(ref, {"variables": variables})


def group(path: str, *variables: VariableRecord) -> TargetState:
    return TargetState(GroupRef(hash(path) % 10_000, path), {"group_variables": list(variables)})


ESTATE = Estate(
    "g",
    (
        group("g", VariableRecord("SHARED", "x"), VariableRecord("GROUP_KEY", SECRET, masked=True)),
        group("g/sub"),
    ),
    (
        project("g/a", build_timeout=3600),
        project("g/b", build_timeout=3600),
        project("g/sub/c", build_timeout=600),
    ),
)


def test_an_estate_becomes_a_factored_inventory_without_secret_values() -> None:
    result = importer.build_inventory(ESTATE, source="https://gitlab.example")

    data = YAML(typ="safe", pure=True).load(result.text)
    assert data["defaults"] == {
        "settings": {"build_timeout": 3600, "default_branch": "main"},
        "variables": {"TOKEN": {"secret": "env:TOKEN", "masked": True}},  # equal values: shared once
    }
    assert data["groups"] == {
        "g": {"group_variables": {"GROUP_KEY": {"secret": "env:GROUP_KEY", "masked": True}, "SHARED": "x"}}
    }
    assert data["projects"]["g/sub/c"] == {"settings": {"build_timeout": 600}, "variables": {"LEVEL": "c"}}
    assert SECRET not in result.text
    assert result.secret_references == 2
    assert (result.projects, result.groups, result.incomplete) == (3, 2, False)
    assert result.text.startswith(
        "# Imported by `provisioner import g` on https://gitlab.example: 3 projects."
    )


def test_masked_values_that_differ_are_not_shared() -> None:
    other = project("g/b")
    changed = TargetState(
        other.ref, {"variables": [VariableRecord("TOKEN", "another-value-99", masked=True)]}
    )
    estate = Estate("g", (), (project("g/a"), changed, project("g/c")))

    data = YAML(typ="safe", pure=True).load(importer.build_inventory(estate).text)

    # two of three are equal: shared; the third has its own entry, so that it gets its own secret
    assert data["defaults"]["variables"] == {"TOKEN": {"secret": "env:TOKEN", "masked": True}}
    assert data["projects"]["g/b"]["variables"] == {"TOKEN": {"secret": "env:TOKEN_2", "masked": True}}
    assert data["projects"]["g/a"]["variables"] == {"LEVEL": "a"}
    assert "another-value-99" not in importer.build_inventory(estate).text


def test_the_check_through_the_loader_catches_a_text_that_differs() -> None:
    result = importer.build_inventory(ESTATE)
    described = {s.ref.path: describe_target(s, FACETS) for s in ESTATE.projects}
    groups = {s.ref.path: describe_target(s, FACETS) for s in ESTATE.groups}

    importer._check(result.text, described, groups, FACETS)
    with pytest.raises(AssertionError, match="does not reproduce g/sub/c"):
        importer._check(
            result.text.replace("build_timeout: 600", "build_timeout: 700"), described, groups, FACETS
        )
    with pytest.raises(AssertionError, match="does not reproduce the group g itself"):
        importer._check(result.text.replace("SHARED: x", "SHARED: y"), described, groups, FACETS)
