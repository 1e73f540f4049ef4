from __future__ import annotations

import pytest

from provisioner.errors import Unobservable
from provisioner.facets.settings import diff_attributes
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
    from provisioner.facets.base import PlanOptions
    from provisioner.facets.settings import ProjectSettings
    from provisioner.inventory.schema import Project, Settings
    from provisioner.inventory.spec import ProjectSpec

    spec = ProjectSpec(
        path="g/p", config=Project(settings=Settings(default_branch="trunk", build_timeout=3600))
    )
    observed = {"empty_repo": True, "default_branch": None, "build_timeout": 600}
    (change,) = ProjectSettings().diff(spec, observed, PlanOptions())
    assert change.after == {"build_timeout": 3600}
