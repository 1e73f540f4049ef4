"""Adding a project to an inventory file keeps every other byte: comments, order, quoting, indentation."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from provisioner.onboard.inventory_edit import EditError, add_project

COMMENTED = """\
# Platform inventory. Hand-kept: comments matter.
version: 1   # the only version

defaults:
    settings:
        build_timeout: 3600     # one hour
        ci_config_path: ''      # .gitlab-ci.yml
    variables:
        PIP_INDEX_URL: "https://pypi.example/simple"

projects:
    # The billing team: call #billing before touching this.
    billing/api:
        settings: {build_timeout: 600}

    # Data, owned by the data team
    data/ingest:
        variables:
            NOTES: |
                first line
                second line

    # search, last one
    search/web: {}
groups:
    billing: {}   # nothing yet
"""
ENTRY = {"create": True, "blueprint": "python-package", "blueprint_vars": {"python_versions": ["3.12"]}}


def read(text: str) -> object:
    return YAML(typ="safe", pure=True).load(text)


def inserted(before: str, after: str) -> list[str]:
    """The lines of `after` that are not in `before`, checking that `before`'s lines all survive in order."""
    old, new = before.splitlines(), after.splitlines()
    extra, i = [], 0
    for line in new:
        if i < len(old) and line == old[i]:
            i += 1
        else:
            extra.append(line)
    assert i == len(old), "a line of the original file was changed or lost"
    return extra


def test_a_commented_file_keeps_every_line_and_gains_only_the_entry() -> None:
    after = add_project(COMMENTED, "data/reports", ENTRY)

    assert inserted(COMMENTED, after) == [
        "    data/reports:",
        "        create: true",
        "        blueprint: python-package",
        "        blueprint_vars:",
        "            python_versions: ['3.12']",
    ]
    data = read(after)
    assert isinstance(data, dict)
    assert data["projects"]["data/reports"] == ENTRY
    assert list(data["projects"]) == ["billing/api", "data/ingest", "data/reports", "search/web"]


def test_in_sorted_place_above_the_comment_that_introduces_the_next_entry() -> None:
    after = add_project(COMMENTED, "billing/web", {"create": True})

    lines = after.splitlines()
    at = lines.index("    billing/web: {create: true}")
    assert lines[at + 1] == "    # Data, owned by the data team"
    assert lines[at - 1] == ""  # the blank line after billing/api's entry stays where it was


def test_unsorted_projects_get_the_entry_at_the_end_after_a_block_scalar() -> None:
    text = "version: 1\nprojects:\n  zeta/a:\n    variables:\n      X: |\n        one\n  alpha/b: {}\n# end\n"
    after = add_project(text, "mid/c", {"create": True})

    assert after == (
        "version: 1\nprojects:\n  zeta/a:\n    variables:\n      X: |\n        one\n  alpha/b: {}\n"
        "  mid/c: {create: true}\n# end\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\n", "version: 1\nprojects:\n  a/b: {create: true}\n"),
        ("version: 1", "version: 1\nprojects:\n  a/b: {create: true}\n"),
        ("version: 1\nprojects:\n", "version: 1\nprojects:\n  a/b: {create: true}\n"),
        (
            "version: 1\nprojects: {}  # none yet\n",
            "version: 1\nprojects:  # none yet\n  a/b: {create: true}\n",
        ),
        (
            "version: 1\nprojects: null\ngroups: {}\n",
            "version: 1\nprojects:\n  a/b: {create: true}\ngroups: {}\n",
        ),
        (
            "version: 1\r\nprojects:\r\n  x/y: {}\r\n",
            "version: 1\r\nprojects:\r\n  a/b: {create: true}\r\n  x/y: {}\r\n",
        ),
    ],
    ids=["no-projects", "no-final-newline", "empty-projects", "empty-flow", "null", "crlf"],
)
def test_where_there_is_no_entry_yet(text: str, expected: str) -> None:
    assert add_project(text, "a/b", {"create": True}) == expected


def test_a_flow_style_projects_mapping_is_rewritten_with_the_entry() -> None:
    after = add_project("version: 1\nprojects: {x/y: {}}\n", "a/b", {"create": True})

    assert read(after) == {"version": 1, "projects": {"x/y": {}, "a/b": {"create": True}}}


def test_values_that_need_quotes_keep_their_type() -> None:
    entry = {
        "create": True,
        "blueprint_vars": {"version": "3.10", "flag": "true", "n": 3, "when": "2025-01-01"},
    }
    after = add_project("version: 1\n", "a/b", entry)

    data = read(after)
    assert isinstance(data, dict)
    assert data["projects"]["a/b"] == entry


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(EditError):
        add_project("- a\n- b\n", "a/b", {"create": True})
    with pytest.raises(EditError):
        add_project("version: 1\nprojects: [a]\n", "a/b", {"create": True})
