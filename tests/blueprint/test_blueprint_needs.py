"""What a blueprint needs from other facets: the protected release tags and the environments its
rendering deploys to (provisioner/blueprint/needs.py)."""

from __future__ import annotations

import pytest

from provisioner.blueprint.needs import Needs, covers, declared_needs, project_needs
from provisioner.facets.files import rendering_of
from provisioner.inventory.schema import Project, Protection
from provisioner.inventory.spec import ProjectSpec


@pytest.mark.parametrize(
    ("wildcard", "needed", "expected"),
    [
        ("v*", "v*", True),
        ("*", "v*", True),  # every tag is protected: the release tags too
        ("v1*", "v*", False),  # v2.0.0 would be left out
        ("release-*", "v*", False),
        ("v*-rc", "v*", False),  # text after the wildcard: a narrower family
        ("v1.2.3", "v*", False),  # one tag is no family
        ("*", "*", True),
    ],
)
def test_a_rule_covers_the_release_tags_only_when_it_protects_all_of_them(wildcard, needed, expected):
    assert covers(wildcard, needed) is expected


def test_python_package_needs_its_release_tags_and_every_environment_it_declares():
    assert declared_needs("python-package") == Needs("python-package", "v*", ("gitlab-packages", "pypi"))


@pytest.mark.parametrize(
    ("variables", "environments"),
    [
        ({}, ("gitlab-packages",)),  # publishes to GitLab's registry, signs on GitLab.com
        ({"publish_to": ["gitlab", "pypi"]}, ("gitlab-packages", "pypi")),
        ({"publish_to": ["pypi"], "signing": "off"}, ("pypi",)),
        # signatures go to the generic registry even when the wheel goes to PyPI only
        ({"publish_to": ["pypi"]}, ("gitlab-packages", "pypi")),
    ],
)
def test_a_projects_environments_are_those_its_variables_turn_on(variables, environments):
    needs = project_needs("python-package", variables, project_path="platform/billing")
    assert (needs.release_tags, needs.environments) == ("v*", environments)


def test_variables_that_do_not_resolve_need_no_environment_yet():
    """The loader reports the bad variable; the needs wait until the variables are right."""
    needs = project_needs("python-package", {"publish_to": ["nowhere"]}, project_path="platform/billing")
    assert needs == Needs("python-package", "v*")


def test_a_blueprint_that_cannot_be_loaded_needs_nothing():
    assert not declared_needs("no-such-blueprint")


def test_the_rendered_texts_say_whether_the_release_tags_are_protected():
    """The README and the pipeline's comment said "Tags v* are protected" even where nothing
    protected them: now they say what the inventory does (the files facet asks the protection facet)."""
    protected = rendering_of(ProjectSpec("platform/billing", Project(blueprint="python-package")))
    assert "Tags `v*` are protected" in protected.file("README.md").text
    assert "Tags v* are protected." in protected.file(".gitlab-ci.yml").text
    off = ProjectSpec(
        "platform/billing", Project(blueprint="python-package", protection=Protection(release_tags=False))
    )
    unprotected = rendering_of(off)
    readme, pipeline = unprotected.file("README.md").text, unprotected.file(".gitlab-ci.yml").text
    assert "are protected" not in readme and "tags `v*` are not protected in this project" in readme
    assert "are protected" not in pipeline and "Tags v* are NOT" in pipeline
