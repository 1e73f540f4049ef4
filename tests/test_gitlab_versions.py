"""The table of what exists in which GitLab version and edition (provisioner/gitlab_versions.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from provisioner import gitlab_versions as gv
from provisioner.gitlab_versions import Version


@pytest.mark.parametrize(
    ("text", "edition", "expected"),
    [
        ("18.6.1-ee", None, Version(18, 6, 1, "ee")),
        ("17.10", None, Version(17, 10, 0, "ce")),
        ("17.10", "ee", Version(17, 10, 0, "ee")),
        ("17.4.2", "ce", Version(17, 4, 2, "ce")),
        ("17.4.2-ce", None, Version(17, 4, 2, "ce")),
        ("v18.0.0-pre", None, Version(18, 0, 0, "ce")),
        ("18.6.0-ee", "ce", Version(18, 6, 0, "ce")),  # the explicit edition wins
    ],
)
def test_versions_parse_as_gitlab_writes_them(text: str, edition: str | None, expected: Version) -> None:
    assert Version.parse(text, edition) == expected


@pytest.mark.parametrize(("text", "edition"), [("eighteen", None), ("18", None), ("18.6", "premium")])
def test_bad_versions_are_refused_with_the_value(text: str, edition: str | None) -> None:
    with pytest.raises(ValueError, match=r"18\.6|edition|version"):
        Version.parse(text, edition)


def test_versions_order_by_release_and_print_like_slash_version() -> None:
    assert Version.parse("17.10") > Version.parse("17.9.3")
    assert str(Version.parse("18.6", "ee")) == "18.6.0-ee"
    assert str(Version.parse("18.6")) == "18.6.0"  # the Community Edition has no suffix


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("rest:Variable.hidden", "17.3.9", False),
        ("rest:Variable.hidden", "17.4", True),
        ("graphql:PackagesProtectionRule.minimumAccessLevelForDelete", "17.9", False),
        ("graphql:PackagesProtectionRule.minimumAccessLevelForDelete", "17.10.0", True),
        ("rest:ProtectedBranch.unprotect_access_levels", "18.6", False),
        ("rest:ProtectedBranch.unprotect_access_levels", "18.6-ee", True),
        ("behaviour:graphql_blob_data_complexity_surcharge", "18.4.1", False),
        ("behaviour:graphql_blob_data_complexity_surcharge", "18.4.3", True),
        ("behaviour:graphql_blob_data_complexity_surcharge", "18.4.5", False),  # `until`
        ("rest:Project.name", "17.0", True),  # older than the table: always there
    ],
)
def test_available_by_version_and_edition(name: str, version: str, expected: bool) -> None:
    assert gv.available(name, version) is expected


def test_needs_says_what_a_server_lacks() -> None:
    assert gv.needs("rest:Variable.hidden", "17.0") == "needs GitLab 17.4"
    assert gv.needs("rest:Variable.hidden", "17.4") is None
    assert gv.needs("rest:ProtectedBranch.allowed_to_push", "18.6.0") == "needs GitLab EE"
    assert gv.needs("behaviour:graphql_blob_data_complexity_surcharge", "18.6") == "removed in GitLab 18.4.5"
    assert gv.since("behaviour:graphql_blobs_size_limit") == "18.4.5"
    assert gv.missing(["rest:Variable.hidden", "rest:Project.name"], "17.0") == ["rest:Variable.hidden"]


def test_flagged_features_are_off_between_the_flag_and_general_availability() -> None:
    rules = "rest:GET /projects/:id/packages/protection/rules"
    assert gv.flagged_off(rules, "17.0") is None  # not there at all
    assert gv.flagged_off(rules, "17.4") == "packages_protected_packages"
    assert gv.flagged_off(rules, "17.6") is None and gv.available(rules, "17.6")


def test_an_unknown_name_is_a_key_error_naming_close_ones() -> None:
    with pytest.raises(KeyError, match=r"rest:Variable\.hidden"):
        gv.feature("graphql:Variable.hidden")


def test_every_row_cites_where_it_was_read_and_the_served_versions_parse() -> None:
    for row in gv.FEATURES.values():
        assert "[G:" in row.source or "gitlab-org/gitlab" in row.source, row.name
        assert row.name.split(":", 1)[0] in ("rest", "graphql", "setting", "behaviour"), row.name
    assert [str(Version.parse(v, "ee")) for v in gv.SERVED][:1] == ["17.0.0-ee"]


def test_the_module_imports_only_the_standard_library() -> None:
    """The sandbox imports this module: it must stay plain data (DESIGN.md, "GitLab versions")."""
    tree = ast.parse(Path(gv.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    roots = {name.split(".")[0] for name in imported}
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots
