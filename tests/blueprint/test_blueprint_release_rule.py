"""One release rule (issue 14, defect 3): the manifest's release_tags give both the regular expression of
every release condition in the pipeline and the protected tag pattern; other tags release nothing."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from provisioner.blueprint import load_blueprint, render
from provisioner.errors import InputError
from tests.blueprint.pipelines import KEY_SIGNING, PROJECT, pipeline, rules_of

RELEASES = [
    "v1.2.3",
    "v0.1.0",
    "v10.20.30",
    "v1.2.3rc1",
    "v2.0.0a1",
    "v2.0.0b12",
    "v1.2.3.post2",
    "v1.0.0rc1.post1",
]
NOT_RELEASES = [
    "nightly",
    "1.2.3",
    "v1.2",
    "v1.2.3-nightly",
    "v1.2.3x",
    "v01.2.3",
    "v1.2.3.dev1",
    "release-v1.2.3",
]


def release_regex() -> str:
    """The regular expression GitLab evaluates in the release jobs' rules, as the pipeline spells it."""
    condition = rules_of(pipeline({}), "publish")[0]["if"]
    found = re.fullmatch(r'\$CI_COMMIT_TAG =~ /(.+)/ && \$CI_COMMIT_REF_PROTECTED == "true"', condition)
    assert found, condition
    return found.group(1)


def test_the_pipeline_takes_its_release_rule_from_the_manifest() -> None:
    release_tags = load_blueprint("python-package").manifest.release_tags
    assert release_tags is not None
    assert release_regex() == release_tags.pattern
    assert release_tags.protected == "v*"  # what the protection facet protects


@pytest.mark.parametrize("tag", RELEASES)
def test_release_tags_match_and_are_protected(tag: str) -> None:
    assert re.search(release_regex(), tag)
    assert fnmatch.fnmatchcase(tag, load_blueprint("python-package").manifest.release_tags.protected)  # type: ignore[union-attr]


@pytest.mark.parametrize("tag", NOT_RELEASES)
def test_other_tags_are_no_releases(tag: str) -> None:
    """The old rule, `^v?[0-9]+\\.[0-9]+\\.[0-9]+` unanchored, took 1.2.3 (never protected) and v1.2.3x."""
    assert not re.search(release_regex(), tag)


@pytest.mark.parametrize(
    "variables",
    [{}, KEY_SIGNING, {"signing": "off"}, {"publish_to": ["gitlab", "pypi"]}],
    ids=["auto", "key", "off", "pypi"],
)
def test_every_release_condition_uses_the_one_rule(variables: dict[str, object]) -> None:
    config = pipeline(variables)
    pattern = load_blueprint("python-package").manifest.release_tags.pattern  # type: ignore[union-attr]
    conditions = [
        rule["if"]
        for name, job in config.items()
        if isinstance(job, dict)
        for rule in job.get("rules", [])
        if "CI_COMMIT_TAG =~" in rule.get("if", "")
    ]
    assert conditions and all(f"$CI_COMMIT_TAG =~ /{pattern}/" in c for c in conditions)
    assert all(c.count("=~") == 1 for c in conditions)


def test_build_takes_the_version_only_from_a_release_tag() -> None:
    """A tag like `nightly` used to become SETUPTOOLS_SCM_PRETEND_VERSION and fail with InvalidVersion."""
    build = pipeline({})["build"]
    pattern = load_blueprint("python-package").manifest.release_tags.pattern  # type: ignore[union-attr]
    assert build["rules"] == [
        {"if": f"$CI_COMMIT_TAG =~ /{pattern}/", "variables": {"RELEASE_TAG": "$CI_COMMIT_TAG"}},
        {"when": "on_success"},
    ]
    script = "\n".join(build["script"])
    assert "CI_COMMIT_TAG" not in script and '"${RELEASE_TAG#v}"' in script


def test_the_rendered_readme_says_which_tags_release() -> None:
    readme = render("python-package", {}, project_path=PROJECT).file("README.md").text
    assert "`vX.Y.Z`" in readme and "`nightly`" in readme and "releases nothing" in readme


@pytest.mark.parametrize(
    ("protected", "pattern", "problem"),
    [
        ("v*", r"^v[0-9]+\.[0-9]+\.[0-9]+", "end with '$'"),
        ("v*", r"^v?[0-9]+\.[0-9]+\.[0-9]+$", "(not made optional)"),
        ("v*", r"^v1\.[0-9]+$|^[0-9]+$", "no top-level '|'"),
        ("v*", r"^v(1|2)\.[0-9]+\$", "end with '$'"),
        ("release-*", r"^v[0-9]+$", "must start with '^release\\\\-'"),
        ("v*x*", r"^v[0-9]+$", "String should match pattern"),
    ],
)
def test_a_manifest_whose_rule_could_release_unprotected_tags_is_refused(
    blueprint_root: Path, protected: str, pattern: str, problem: str
) -> None:
    manifest = blueprint_root / "python-package" / "blueprint.yaml"
    text = manifest.read_text()
    start = text.index("release_tags:\n")
    end = text.index("\n\n", start)
    manifest.write_text(
        f"{text[:start]}release_tags:\n  protected: '{protected}'\n  pattern: '{pattern}'{text[end:]}"
    )
    with pytest.raises(InputError) as caught:
        load_blueprint("python-package", blueprint_root)
    [found] = caught.value.problems
    assert found.field.startswith("release_tags") and problem in found.message
