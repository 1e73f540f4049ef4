"""The protected environments diff is pure: (the rules wanted, GitLab's rules with ids) -> changes;
which environments a project wants (its own and its blueprint's); and the section's schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from provisioner.blueprint.needs import Needs
from provisioner.facets.protected_environments import (
    ProjectProtectedEnvironments,
    unmet_environments,
    wanted_environments,
)
from provisioner.facets.protected_environments.diff import Observed, Write, diff_environments
from provisioner.gitlab.protected_environments import Access, EnvironmentRule
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Project
from provisioner.inventory.sections.protected_environments import (
    MAINTAINERS_DEPLOY,
    EnvironmentProtection,
    GroupProtectedEnvironmentsSection,
    ProtectedEnvironmentsSection,
)
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action

EE = Version(18, 6, 0, "ee")
IDS = {
    ("role", "maintainer", False): ("role", 40, False),
    ("role", "developer", False): ("role", 30, False),
    ("user", "dana", False): ("user", 7, False),
    ("group", "platform/qa", True): ("group", 12, True),
}
NAMES = {who: (name if kind == "role" else f"{kind} {name}") for (kind, name, _), who in IDS.items()}


def rule(**entry) -> EnvironmentProtection:
    return EnvironmentProtection.model_validate(entry)


def observed(*rules: EnvironmentRule) -> Observed:
    return Observed(EE, tuple(rules), IDS, NAMES)


def maintainers(name: str, *approvals: Access, deploy_id: int = 1) -> EnvironmentRule:
    return EnvironmentRule(name, (Access(deploy_id, level=40),), tuple(approvals))


def diff(wanted, *have, prune=False):
    return diff_environments("protected_environments", wanted, observed(*have), prune)


def test_a_missing_environment_is_created_with_every_entry():
    wanted = {
        "production": rule(
            deploy=["maintainer", {"user": "dana"}],
            approvals=[{"group": "platform/qa", "inherited": True, "required": 2}],
        )
    }
    (change,) = diff(wanted)
    assert (change.action, change.target) == (Action.CREATE, 'protected environment "production"')
    assert change.after == {"deploy": ["maintainer", "user dana"], "approvals": ["2 from group platform/qa"]}
    assert change.payload == Write(
        "production",
        {
            "name": "production",
            "deploy_access_levels": [{"access_level": 40}, {"user_id": 7}],
            "approval_rules": [{"group_id": 12, "group_inheritance_type": 1, "required_approvals": 2}],
        },
    )


def test_an_equal_rule_is_no_change_and_unnamed_ones_are_reported_or_pruned():
    wanted = {"production": MAINTAINERS_DEPLOY}
    assert diff(wanted, maintainers("production")) == []
    (unnamed,) = diff(wanted, maintainers("production"), maintainers("staging"))
    assert (unnamed.action, unnamed.target) == (Action.UNMANAGED, 'protected environment "staging"')
    (pruned,) = diff(wanted, maintainers("production"), maintainers("staging"), prune=True)
    assert (pruned.action, pruned.before) == (Action.DELETE, {"deploy": ["maintainer"]})


def test_an_update_destroys_what_goes_by_id_and_adds_what_comes():
    wanted = {"production": rule(deploy=["developer"], approvals=[{"role": "maintainer", "required": 2}])}
    have = maintainers("production", Access(5, level=40, required=1), deploy_id=3)
    (change,) = diff(wanted, have)
    assert change.action is Action.UPDATE
    assert (change.before, change.after) == (
        {"deploy": ["maintainer"], "approvals": ["1 from maintainer"]},
        {"deploy": ["developer"], "approvals": ["2 from maintainer"]},
    )
    assert change.payload.body == {
        "deploy_access_levels": [{"id": 3, "_destroy": True}, {"access_level": 30}],
        "approval_rules": [{"id": 5, "_destroy": True}, {"access_level": 40, "required_approvals": 2}],
    }


def test_removing_every_approval_shows_an_empty_list():
    have = maintainers("production", Access(5, level=40, required=1))
    (change,) = diff({"production": MAINTAINERS_DEPLOY}, have)
    assert (change.before, change.after) == ({"approvals": ["1 from maintainer"]}, {"approvals": []})
    assert change.payload.body == {"approval_rules": [{"id": 5, "_destroy": True}]}


def test_a_duplicate_entry_gitlab_holds_is_drift():
    doubled = EnvironmentRule("production", (Access(1, level=40), Access(2, level=40)))
    (change,) = diff({"production": MAINTAINERS_DEPLOY}, doubled)
    assert change.payload.body == {"deploy_access_levels": [{"id": 2, "_destroy": True}]}


def test_the_community_edition_gets_a_finding_not_a_diff():
    facet = ProjectProtectedEnvironments()
    spec = ProjectSpec("platform/billing", Project(blueprint="python-package"))
    (finding,) = facet.diff(spec, Observed(Version(18, 6, 0, "ce"), None), None)  # type: ignore[arg-type]
    assert (finding.action, finding.after["needs"]) == (Action.UNSUPPORTED, "needs GitLab EE")


def spec_with(**config) -> ProjectSpec:
    return ProjectSpec("platform/billing", Project.model_validate(config))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {}),
        ({"blueprint": "python-package"}, {"gitlab-packages": MAINTAINERS_DEPLOY}),
        (
            {"blueprint": "python-package", "blueprint_vars": {"publish_to": ["gitlab", "pypi"]}},
            {"gitlab-packages": MAINTAINERS_DEPLOY, "pypi": MAINTAINERS_DEPLOY},
        ),
    ],
)
def test_a_blueprint_project_wants_the_environments_it_deploys_to(config, expected):
    assert wanted_environments(spec_with(**config)) == expected


def test_the_inventory_names_them_itself_or_turns_them_off():
    named = rule(deploy=[{"user": "dana"}])
    section = ProtectedEnvironmentsSection(environments={"gitlab-packages": named})
    spec = ProjectSpec("platform/billing", Project(blueprint="python-package"))
    with_section = ProjectSpec(spec.path, spec.config.model_copy(update={"protected_environments": section}))
    assert wanted_environments(with_section) == {"gitlab-packages": named}
    developers = rule(deploy=["developer"])
    custom = ProtectedEnvironmentsSection(blueprint=developers)
    spec = ProjectSpec(spec.path, spec.config.model_copy(update={"protected_environments": custom}))
    assert wanted_environments(spec) == {"gitlab-packages": developers}
    off = ProtectedEnvironmentsSection(blueprint=False)
    spec = ProjectSpec(spec.path, spec.config.model_copy(update={"protected_environments": off}))
    assert wanted_environments(spec) == {}


def test_turning_them_off_is_an_unmet_need_for_those_not_named():
    needs = Needs("python-package", "v*", ("gitlab-packages", "pypi"))
    section = ProtectedEnvironmentsSection(blueprint=False, environments={"pypi": MAINTAINERS_DEPLOY})
    config = Project().model_copy(update={"protected_environments": section})
    (unmet,) = unmet_environments(config, needs)
    assert unmet.path == ("protected_environments", "blueprint")
    assert "environments gitlab-packages," in unmet.message
    assert unmet_environments(Project(), needs) == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"deploy": []}, "at least 1 item"),
        ({"deploy": [{"role": "maintainer", "user": "dana"}]}, "exactly one of role, user or group"),
        ({"deploy": [{"user": "dana", "inherited": True}]}, "inherited is only for a group"),
        ({"deploy": ["owner"]}, "literal_error"),
        (
            {"deploy": ["maintainer"], "approvals": [{"role": "maintainer", "required": 6}]},
            "less than or equal to 5",
        ),
        ({"deploy": ["maintainer", {"role": "maintainer"}]}, "given twice"),
        ({"deploy": [{"group": "platform/../x"}]}, "cannot be part of a path"),
    ],
)
def test_the_schema_refuses_what_gitlab_would(entry, message):
    with pytest.raises(ValidationError) as error:
        EnvironmentProtection.model_validate(entry)
    assert message in str(error.value) or message in [e["type"] for e in error.value.errors()]


def test_a_group_names_its_environments_by_tier():
    with pytest.raises(ValidationError):
        GroupProtectedEnvironmentsSection.model_validate(
            {"environments": {"pypi": {"deploy": ["maintainer"]}}}
        )
    GroupProtectedEnvironmentsSection.model_validate(
        {"environments": {"production": {"deploy": ["maintainer"]}}}
    )
