"""Values read as they would be written in the inventory: YAML that reads back as the same value."""

from __future__ import annotations

import io

import pytest
from ruamel.yaml import YAML

from provisioner.report.values import yaml_value

STRINGS = [
    "^v\\d+", "", " padded", "1", "1.5", "1e3", "0x1F", "0o17", "1:30", "+1", "1_000", ".inf", "-.5",
    "true", "yes", "no", "on", "off", "null", "~", "2027-12-31", "2027-12-31T10:00:00Z",
    "a: b", "a #b", "#x", "-x", "- x", "x:", "[a]", "a,b", "{}", "it's", "'", '"', "\\", "é",
    "line1\nline2", "tab\there", "a\x7fb", "@x", "`x", "%x", "!x", "&x", "*", "|x", ">x",
    "https://pypi.example/simple", "s3://lake/raw", "v*", "release/*", "enabled", "7d",
]  # fmt: skip


@pytest.mark.parametrize("text", STRINGS)
def test_a_string_reads_back_as_itself(text: str) -> None:
    shown = yaml_value(text)
    assert YAML(typ="safe").load(io.StringIO(f"key: {shown}\n"))["key"] == text, shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("^v\\d+", "^v\\d+"),  # as the inventory says '^v\d+': one backslash, no Python quotes
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (3600, "3600"),
        ("3600", "'3600'"),  # a string that YAML would read as a number keeps its quotes
        ("enabled", "enabled"),
        (["docker", "warehouse"], "[docker, warehouse]"),
        ({"a": 1, "b": "x y"}, "{a: 1, b: x y}"),
        ("(sensitive)", "(sensitive)"),
        ("it's", "it's"),
        ("#x", "'#x'"),
    ],
)
def test_values_as_yaml(value: object, shown: str) -> None:
    assert yaml_value(value) == shown
