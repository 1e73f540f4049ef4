"""The protection diff is pure: (inventory, protected refs as read) -> changes."""

from __future__ import annotations

import pytest

from provisioner.blueprint.needs import Needs
from provisioner.errors import Unobservable
from provisioner.facets.protection import (
    ObservedProtection,
    ProjectProtection,
    _Branch,
    default_branch_name,
    diff_protection,
    release_tags_protected,
)
from provisioner.gitlab.protection import BranchRule, TagRule, role_levels, to_branch_rule
from provisioner.inventory.schema import BranchProtection, Project, Protection, Settings, TagProtection
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, ProjectRef

M = frozenset({40})


def branch(name: str = "main", push=M, merge=M, unprotect=M, force: bool = False) -> BranchRule:
    return BranchRule(name, frozenset(push), frozenset(merge), unprotect, force)


def diff(config: Protection, branches=(), tags=(), default: str = "main"):
    return diff_protection("protection", config, ObservedProtection(default, tuple(branches), tuple(tags)))


def actions(changes):
    return [(c.action, c.target) for c in changes]


@pytest.mark.parametrize(
    ("config", "branches", "expected"),
    [
        (Protection(default_branch=BranchProtection()), [], [(Action.CREATE, 'protected branch "main"')]),
        (Protection(default_branch=BranchProtection()), [branch()], []),
        # force push is patched in place; levels are replaced (CE cannot patch them)
        (
            Protection(default_branch=BranchProtection(allow_force_push=True)),
            [branch()],
            [(Action.UPDATE, 'protected branch "main"')],
        ),
        (
            Protection(default_branch=BranchProtection(push_access_level="no_one")),
            [branch()],
            [(Action.REPLACE, 'protected branch "main"')],
        ),
        # protected branches the inventory does not name are only reported
        (
            Protection(default_branch=BranchProtection()),
            [branch(), branch("release/*")],
            [(Action.UNMANAGED, 'protected branch "release/*"')],
        ),
        (
            Protection(branches={"release/*": BranchProtection(merge_access_level="developer")}),
            [branch("release/*", merge={30})],
            [],
        ),
    ],
)
def test_branch_table(config, branches, expected):
    assert actions(diff(config, branches)) == expected


def test_replace_shows_levels_by_name_and_recreates_the_whole_rule():
    config = Protection(default_branch=BranchProtection(push_access_level="no_one", allow_force_push=True))
    (change,) = diff(config, [branch(push={30, 40}, merge={30}, unprotect={50})])
    assert change.before == {"push_access_level": ["developer", "maintainer"], "allow_force_push": False}
    assert change.after == {"push_access_level": "no_one", "allow_force_push": True}
    # what the inventory leaves out is written back as GitLab had it
    assert change.payload.body == {
        "name": "main",
        "push_access_level": 0,
        "merge_access_level": 30,
        "unprotect_access_level": 50,
        "allow_force_push": True,
    }
    # kept to restore if GitLab refuses the new rule; several levels stand as the strictest one
    assert change.payload.previous == {
        "name": "main",
        "push_access_level": 40,
        "merge_access_level": 30,
        "allow_force_push": False,
        "unprotect_access_level": 50,
    }


def test_only_force_push_is_patched():
    (change,) = diff(Protection(default_branch=BranchProtection(allow_force_push=True)), [branch()])
    assert change.payload == _Branch("main", {"allow_force_push": True})


def test_unprotect_level_is_managed_only_when_given_and_visible():
    config = Protection(default_branch=BranchProtection(unprotect_access_level="admin"))
    assert actions(diff(config, [branch(unprotect={40})])) == [(Action.REPLACE, 'protected branch "main"')]
    with pytest.raises(Unobservable, match="Premium"):
        diff(config, [branch(unprotect=None)])
    assert diff(Protection(default_branch=BranchProtection()), [branch(unprotect=None)]) == []


def test_the_default_branch_follows_the_project():
    config = Protection(default_branch=BranchProtection())
    assert actions(diff(config, [branch()], default="trunk")) == [
        (Action.CREATE, 'protected branch "trunk"'),
        (Action.UNMANAGED, 'protected branch "main"'),
    ]


@pytest.mark.parametrize(
    ("default_branch", "settings_branch", "expected"),
    [("trunk", "main", "trunk"), (None, "develop", "develop"), (None, None, "main")],
)
def test_default_branch_name_of_an_empty_repository(default_branch, settings_branch, expected):
    ref = ProjectRef(1, "g/p", default_branch)
    spec = ProjectSpec("g/p", Project(settings=Settings(default_branch=settings_branch)))
    assert default_branch_name(ref, spec) == expected


@pytest.mark.parametrize(
    ("tags", "observed", "expected"),
    [
        ({"v*": TagProtection()}, [], [(Action.CREATE, 'protected tag "v*"')]),
        ({"v*": TagProtection()}, [TagRule("v*", M)], []),
        (
            {"v*": TagProtection(create_access_level="no_one")},
            [TagRule("v*", M)],
            [(Action.REPLACE, 'protected tag "v*"')],
        ),
        (
            {"v*": TagProtection()},
            [TagRule("v*", M), TagRule("rc-*", M)],
            [(Action.UNMANAGED, 'protected tag "rc-*"')],
        ),
    ],
)
def test_tag_table(tags, observed, expected):
    assert actions(diff(Protection(tags=tags), tags=observed)) == expected


def test_role_levels_ignore_user_group_and_deploy_key_entries():
    entries = [
        {"access_level": 40},
        {"access_level": 40, "deploy_key_id": 1},
        {"access_level": None, "group_id": 3},
        {"access_level": 30, "user_id": 2},
    ]
    assert role_levels(entries) == frozenset({40})


def test_ce_answers_without_unprotect_levels():
    rule = to_branch_rule(
        {"name": "main", "push_access_levels": [{"access_level": 0}], "merge_access_levels": []}
    )
    assert rule == BranchRule("main", frozenset({0}), frozenset(), None, False)


def test_schema_refuses_no_one_for_unprotect():
    with pytest.raises(ValueError, match="no_one"):
        BranchProtection(unprotect_access_level="no_one")


# -- the release tags a blueprint needs (provisioner/blueprint/needs.py) ------------------------------
N = frozenset({0})


@pytest.mark.parametrize(
    ("config", "observed", "expected"),
    [
        # a blueprint project without a word about tags gets its release tags protected
        (Protection(), [], [(Action.CREATE, 'protected tag "v*"', {"create_access_level": "maintainer"})]),
        (Protection(), [TagRule("v*", M)], []),
        # the inventory's own rule for them wins, at its level
        (Protection(tags={"v*": TagProtection(create_access_level="no_one")}), [TagRule("v*", N)], []),
        # a rule that covers them is enough; a narrower one is not
        (Protection(tags={"*": TagProtection()}), [TagRule("*", M)], []),
        (
            Protection(tags={"v1*": TagProtection()}),
            [TagRule("v1*", M)],
            [(Action.CREATE, 'protected tag "v*"', {"create_access_level": "maintainer"})],
        ),
        # turned off: nothing written, and an existing rule is left alone
        (Protection(release_tags=False), [], []),
        (Protection(release_tags=False), [TagRule("v*", N)], []),
    ],
)
def test_release_tag_table(config, observed, expected):
    observation = ObservedProtection("main", (), tuple(observed))
    changes = diff_protection("protection", config, observation, release_tags="v*")
    assert [(c.action, c.target, c.after) for c in changes] == expected


def blueprint_project(**config) -> ProjectSpec:
    return ProjectSpec("platform/billing", Project(blueprint="python-package", **config))


def test_a_blueprint_project_wants_the_facet_and_is_told_its_tags_are_protected():
    facet = ProjectProtection()
    assert facet.wants(blueprint_project()) and release_tags_protected(blueprint_project())
    off = blueprint_project(protection=Protection(release_tags=False))
    assert not facet.wants(off) and not release_tags_protected(off)
    assert not facet.wants(ProjectSpec("platform/billing", Project()))  # no blueprint, no protection


def test_turning_them_off_is_an_unmet_need_unless_a_rule_covers_them():
    needs = Needs("python-package", "v*")
    facet = ProjectProtection()
    (unmet,) = facet.unmet_needs(Project(protection=Protection(release_tags=False)), needs)
    assert unmet.path == ("protection", "release_tags") and "will never run" in unmet.message
    covered = Protection(release_tags=False, tags={"*": TagProtection()})
    assert facet.unmet_needs(Project(protection=covered), needs) == []
    assert facet.unmet_needs(Project(), needs) == []
    assert facet.unmet_needs(Project(), Needs("other")) == []  # a blueprint without release tags
