from __future__ import annotations

import pytest

from provisioner.errors import Unobservable
from provisioner.facets.base import PlanOptions, TargetAttributes
from provisioner.facets.settings import ObservedSettings, ProjectSettings, diff_attributes
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Project, Settings
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action


def test_only_named_attributes_are_compared_and_one_change_holds_them_all():
    changes = diff_attributes(
        "settings",
        "project settings",
        {"build_timeout": 3600, "auto_cancel_pending_pipelines": "enabled", "merge_method": "ff"},
        {
            "build_timeout": 600,
            "auto_cancel_pending_pipelines": "enabled",
            "merge_method": "merge",
            "other": 1,
        },
    )
    assert len(changes) == 1
    assert changes[0].action is Action.UPDATE
    assert changes[0].before == {"build_timeout": 600, "merge_method": "merge"}
    assert changes[0].after == {"build_timeout": 3600, "merge_method": "ff"}


def test_in_sync_gives_no_change():
    assert diff_attributes("settings", "t", {"build_timeout": 3600}, {"build_timeout": 3600}) == []


def test_missing_attribute_means_unknown_not_false():
    """DESIGN.md trap: fields missing below Maintainer are unknown, not false (REFERENCE 2.1)."""
    with pytest.raises(Unobservable, match="build_timeout"):
        diff_attributes("settings", "t", {"build_timeout": 3600}, {"name": "x"})


def test_null_ci_config_path_equals_empty_string():
    assert diff_attributes("settings", "t", {"ci_config_path": ""}, {"ci_config_path": None}) == []


def test_an_empty_repository_has_no_branch_to_make_default_yet():
    spec = ProjectSpec(
        path="g/p", config=Project(settings=Settings(default_branch="trunk", build_timeout=3600))
    )
    observed = {"empty_repo": True, "default_branch": None, "build_timeout": 600}
    (change,) = ProjectSettings().diff(spec, ObservedSettings(observed), PlanOptions())
    assert change.after == {"build_timeout": 3600}


CLAIMS = ["project_path", "ref_type", "ref"]  # GitLab's default
ROLE = "ci_pipeline_variables_minimum_override_role"
RESTRICT = "restrict_user_defined_variables"
SUB = "ci_id_token_sub_claim_components"


def plan_settings(settings: dict, observed: dict, server: str | None = None) -> list:
    """The facet's own diff, from an inventory entry validated by the schema."""
    spec = ProjectSpec(path="g/p", config=Project(settings=Settings.model_validate(settings)))
    version = Version.parse(server) if server else None
    return ProjectSettings().diff(spec, ObservedSettings(observed, version), PlanOptions())


@pytest.mark.parametrize(
    ("settings", "observed", "before", "after"),
    [
        ({RESTRICT: False}, {RESTRICT: True}, {RESTRICT: True}, {RESTRICT: False}),
        ({RESTRICT: True}, {RESTRICT: True}, None, None),
        (
            {RESTRICT: True, ROLE: "maintainer"},
            {RESTRICT: True, ROLE: "developer"},
            {ROLE: "developer"},
            {ROLE: "maintainer"},
        ),
        ({SUB: CLAIMS}, {SUB: CLAIMS}, None, None),
        ({SUB: ["project_path", "ref"]}, {SUB: CLAIMS}, {SUB: CLAIMS}, {SUB: ["project_path", "ref"]}),
        # The order is the sub claim's format: the same claims in another order are a change.
        (
            {SUB: ["project_path", "ref", "ref_type"]},
            {SUB: CLAIMS},
            {SUB: CLAIMS},
            {SUB: ["project_path", "ref", "ref_type"]},
        ),
    ],
)
def test_pipeline_variable_rules_and_id_token_claims(settings, observed, before, after):
    changes = plan_settings(settings, observed)
    if after is None:
        assert changes == []
        return
    (change,) = changes
    assert (change.before, change.after, change.payload) == (before, after, TargetAttributes(after))


@pytest.mark.parametrize(("name", "value"), [(RESTRICT, True), (SUB, CLAIMS)])
def test_pipeline_variable_rules_and_id_token_claims_are_unknown_below_maintainer(name, value):
    """GitLab shows both to Maintainers only (REFERENCE 2.1): missing is unknown, never a change."""
    with pytest.raises(Unobservable, match=name):
        plan_settings({name: value}, {"build_timeout": 3600})


@pytest.mark.parametrize(
    ("name", "value", "needs"),
    [
        (SUB, CLAIMS, "needs GitLab 17.10"),
        ("ci_delete_pipelines_in_seconds", 86400, "needs GitLab 17.9"),
        ("ci_push_repository_for_job_token_allowed", True, "needs GitLab 17.2"),
        (ROLE, "developer", "needs GitLab 17.1"),
    ],
)
def test_an_attribute_the_server_does_not_have_is_unsupported_not_unknown(name, value, needs):
    """GitLab 17.0 neither shows nor takes these attributes [G:doc/api/projects.md]: not drift, not a
    missing permission, nothing to write; the other attributes are compared as usual."""
    changes = plan_settings({name: value, "build_timeout": 3600}, {"build_timeout": 600}, "17.0")
    assert [(c.action, c.target, (c.after or {}).get("needs")) for c in changes] == [
        (Action.UNSUPPORTED, f"project setting {name}", needs),
        (Action.UPDATE, "project settings", None),
    ]
    assert changes[0].after["inventory"] == f"settings.{name}"
    assert changes[1].after == {"build_timeout": 3600}
    assert plan_settings({name: value}, {name: value}, "18.6") == []
