"""Factoring leaves into defaults, groups and projects: every project's merged result is unchanged.

Each case is checked against the inventory loader's own merge (`merge_layers`), not a re-implementation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from provisioner.inventory.document import Document
from provisioner.inventory.merge import Layer, merge_layers
from provisioner.onboard.factor import Layers, Leaf, factor, flatten, unflatten


def leaves(entry: Mapping[str, Any]) -> dict[tuple[str, ...], Leaf]:
    return {path: Leaf(value, json.dumps(value, sort_keys=True)) for path, value in flatten(entry).items()}


def merged(layers: Layers, project: str, groups: list[str]) -> dict[str, Any]:
    above = sorted((g for g in groups if project.startswith(g + "/")), key=lambda g: g.count("/"))
    stack = [layers.defaults, *(layers.groups.get(g, {}) for g in above), layers.projects[project]]
    documents = [Layer(Document("x", unflatten(layer.items())), ()) for layer in stack]
    return merge_layers(documents).data


def check(entries: Mapping[str, Mapping[str, Any]], groups: list[str]) -> Layers:
    layers = factor({name: leaves(entry) for name, entry in entries.items()}, groups)
    for name, entry in entries.items():
        assert merged(layers, name, groups) == entry, name
    return layers


BRANCH = {"push_access_level": "maintainer", "merge_access_level": "maintainer", "allow_force_push": False}


def test_what_every_project_shares_goes_to_defaults() -> None:
    entries = {f"g/p{i}": {"settings": {"build_timeout": 3600, "description": f"p{i}"}} for i in range(3)}

    layers = check(entries, ["g"])

    assert layers.defaults == {("settings", "build_timeout"): 3600}
    assert layers.groups == {}
    assert all(layer == {("settings", "description"): name[2:]} for name, layer in layers.projects.items())


def test_a_majority_value_is_shared_and_the_others_override_it() -> None:
    timeouts = [3600, 3600, 3600, 600]
    entries = {f"g/p{i}": {"settings": {"build_timeout": t}} for i, t in enumerate(timeouts)}

    layers = check(entries, ["g"])

    assert layers.defaults == {("settings", "build_timeout"): 3600}
    assert layers.projects["g/p3"] == {("settings", "build_timeout"): 600}
    assert layers.projects["g/p0"] == {}


def test_groups_take_what_their_projects_share_below_the_defaults() -> None:
    entries = {
        **{f"a/p{i}": {"variables": {"INDEX": "https://a.example"}} for i in range(3)},
        **{f"b/p{i}": {"variables": {"INDEX": "https://b.example"}} for i in range(3)},
        "b/sub/q": {"variables": {"INDEX": "https://b.example"}},
    }

    layers = check(entries, ["a", "b", "b/sub"])

    # 4 of the 7 projects use b's index: the defaults say so, group a says otherwise for its own
    assert layers.defaults == {("variables", "INDEX"): "https://b.example"}
    assert layers.groups == {"a": {("variables", "INDEX"): "https://a.example"}}
    assert all(layer == {} for layer in layers.projects.values())


def test_a_project_without_an_inherited_section_removes_it_whole() -> None:
    # An empty repository has no protected default branch: removing its fields one by one would leave
    # `default_branch: {}`, which means "protected with the defaults".
    protected = {"protection": {"default_branch": BRANCH}, "settings": {"default_branch": "main"}}
    entries = {"g/a": protected, "g/b": protected, "g/c": protected, "g/empty": {"settings": {}}}

    layers = check({k: {s: v for s, v in e.items() if v} for k, e in entries.items()}, ["g"])

    assert layers.projects["g/empty"] == {("protection",): None, ("settings",): None}


def test_a_missing_field_is_removed_alone_when_the_rest_of_the_mapping_stays() -> None:
    full = {"registry": {"cleanup_policy": {"enabled": True, "cadence": "1d", "keep_n": 10}}}
    partial = {"registry": {"cleanup_policy": {"enabled": False, "cadence": "1d"}}}
    entries = {"g/a": full, "g/b": full, "g/c": full, "g/d": partial}

    layers = check(entries, ["g"])

    assert layers.projects["g/d"] == {
        ("registry", "cleanup_policy", "enabled"): False,
        ("registry", "cleanup_policy", "keep_n"): None,
    }


def test_lists_and_variable_definitions_are_single_values() -> None:
    entries = {
        "g/a": {"settings": {"topics": ["x", "y"]}, "variables": {"K": {"value": "1", "protected": True}}},
        "g/b": {"settings": {"topics": ["x", "y"]}, "variables": {"K": {"value": "1", "protected": True}}},
        "g/c": {"settings": {"topics": ["x"]}, "variables": {"K": {"value": "1"}}},
    }

    layers = check(entries, ["g"])

    assert layers.defaults[("settings", "topics")] == ["x", "y"]
    assert layers.defaults[("variables", "K")] == {"value": "1", "protected": True}
    assert layers.projects["g/c"] == {("settings", "topics"): ["x"], ("variables", "K"): {"value": "1"}}


def test_equal_looking_values_with_different_identities_are_not_shared() -> None:
    # Masked variables look the same in the file (no value); their identities say whether they are.
    written = {"value_unmanaged": True, "masked": True}
    identities = ["same", "same", "other", "other2"]
    projects = {
        f"g/p{i}": {("variables", "TOKEN"): Leaf(written, (json.dumps(written), identity))}
        for i, identity in enumerate(identities)
    }

    layers = factor(projects, ["g"])

    assert layers.defaults == {}  # 2 of 4 is no majority
    assert all(layer == {("variables", "TOKEN"): written} for layer in layers.projects.values())


@pytest.mark.parametrize("timeouts", [[600], [600, 3600], [600, 600, 3600, 3600]], ids=["one", "two", "tie"])
def test_nothing_is_shared_without_a_majority_of_two_or_more(timeouts: list[int]) -> None:
    entries = {f"g/p{i}": {"settings": {"build_timeout": t}} for i, t in enumerate(timeouts)}

    layers = check(entries, ["g"])

    assert layers.defaults == {}
    assert [layer for layer in layers.projects.values()] == [
        {("settings", "build_timeout"): t} for t in timeouts
    ]


def test_two_projects_sharing_a_value_share_it() -> None:
    entries = {f"g/p{i}": {"settings": {"build_timeout": 600}} for i in range(2)}

    layers = check(entries, ["g"])

    assert layers.defaults == {("settings", "build_timeout"): 600}
