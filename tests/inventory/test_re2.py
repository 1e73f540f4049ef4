"""The offline check of RE2 syntax: what RE2 lacks is refused by name; RE2's own syntax passes;
the rest is what Python's `re` finds wrong (see provisioner/inventory/sections/re2.py)."""

from __future__ import annotations

import pytest

from provisioner.inventory.sections.re2 import re2_problem


@pytest.mark.parametrize(
    "pattern",
    [
        r"^JIRA-\d+: ",
        r"(feature|hotfix)\/.*",
        r"@my-company\.com$",
        r"(jar|exe)$",
        r"\pL+\z",  # RE2 only: Unicode class, end of text
        r"\p{Greek}",
        r"\Q1.0\E",  # RE2 only: literal text
        r"(?<tag>v\d+)",  # RE2's other spelling of a named group
        r"(?P<tag>v\d+)",
        r"(?i)fix",
        r"(?U)a+",  # ungreedy: RE2 only
        r"[[:alpha:]]+",
        r"a\*+",  # an escaped star, then +
        r"a{2,1000}",
        r"[\]]",
        "",
    ],
)
def test_re2_accepts(pattern: str) -> None:
    assert re2_problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^(?!wip)", "lookahead"),
        (r"(?<=a)b", "lookbehind"),
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "backreference"),
        (r"(?>a+)", "atomic"),
        (r"a++", "possessive"),
        (r"a{1,2}+", "possessive"),
        (r"(?(1)a|b)", "conditional"),
        (r"(?#note)a", "comment"),
        (r"(?x) a b", "flag x"),
        (r"a\Z", "\\Z"),
        (r"a{1001}", "at most 1000"),
        (r"(a|b", "missing )"),
        (r"[z-a]", "bad character range"),
        ("a\\", "trailing backslash"),
        (r"*a", "nothing to repeat"),
    ],
)
def test_re2_refuses(pattern: str, reason: str) -> None:
    problem = re2_problem(pattern)
    assert problem is not None and reason in problem, problem
