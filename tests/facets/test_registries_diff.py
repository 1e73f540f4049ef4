"""The registry diff is pure: tables of (inventory, observed) -> changes, and GitLab's read/write quirks."""

from __future__ import annotations

from datetime import date

import pytest

from provisioner.facets.base import PlanOptions
from provisioner.facets.registries import ObservedRegistry, diff_registry
from provisioner.facets.registries.access import CLEANUP, CannotExpress, ObservedJobToken, UnknownReference
from provisioner.facets.registries.deploy_tokens import ROTATE_HINT, needs_rotate
from provisioner.gitlab.deploy_tokens import DeployTokenRecord, to_record
from provisioner.gitlab.job_tokens import AllowlistEntry, _group_path
from provisioner.gitlab.registry import (
    ContainerRule,
    PackageRule,
    cleanup_policy_body,
    read_cleanup_policy,
)
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import (
    CleanupPolicy,
    ContainerProtectionRule,
    DeployToken,
    JobTokenScope,
    PackageProtectionRule,
    Registry,
)
from provisioner.model import Action

PROJECT = 7


def diff(config: Registry, obs: ObservedRegistry, rotate: bool = False):
    return diff_registry("registry", "grp/app", config, obs, PlanOptions(rotate=rotate))


def actions(changes):
    return [(c.action, c.target) for c in changes]


# -- access levels ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "attributes", "key", "after"),
    [
        (
            Registry(container_registry_access_level="private"),
            {"container_registry_access_level": "enabled"},
            None,
            {"container_registry_access_level": "private"},
        ),
        (
            Registry(container_registry_access_level="private"),
            {"container_registry_access_level": "private"},
            None,
            None,
        ),
        (
            Registry(package_registry_access_level="public"),
            {"package_registry_access_level": "enabled"},
            "package_registry_access_level",
            {"package_registry_access_level": "public"},
        ),
        # before 17.10 only the boolean exists
        (
            Registry(package_registry_access_level="disabled"),
            {"packages_enabled": True},
            "packages_enabled",
            {"packages_enabled": False},
        ),
        (
            Registry(package_registry_access_level="enabled"),
            {"packages_enabled": True},
            "packages_enabled",
            None,
        ),
    ],
)
def test_access_levels(config, attributes, key, after):
    changes = diff(config, ObservedRegistry(PROJECT, attributes, key))
    assert [c.after for c in changes] == ([after] if after else [])


@pytest.mark.parametrize("level", ["private", "public"])
def test_levels_an_old_server_cannot_store_need_17_10_and_nothing_is_written(level):
    """`package_registry_access_level` came with 17.10 [G:doc/api/projects.md 'packages_enabled
    deprecated in 17.10']: before, "private" and "public" cannot be said with `packages_enabled`."""
    config = Registry(package_registry_access_level=level, container_registry_access_level="private")
    observed = ObservedRegistry(
        PROJECT,
        {"packages_enabled": True, "container_registry_access_level": "enabled"},
        "packages_enabled",
        server=Version.parse("17.9"),
    )
    unsupported, update = diff(config, observed)
    assert (unsupported.action, unsupported.target) == (Action.UNSUPPORTED, "registry access")
    assert unsupported.after["needs"] == "needs GitLab 17.10"
    assert unsupported.after["inventory"] == "registry.package_registry_access_level"
    assert update.after == {"container_registry_access_level": "private"}
    unknown = ObservedRegistry(PROJECT, {"packages_enabled": True}, "packages_enabled")  # no version
    with pytest.raises(CannotExpress, match=r"needs GitLab 17\.10"):
        diff(Registry(package_registry_access_level=level), unknown)


# -- the cleanup policy trap (DESIGN.md) ---------------------------------------------------------
READ_BACK = {
    "cadence": "7d",
    "enabled": True,
    "keep_n": 10,
    "older_than": "30d",
    "name_regex": None,  # deprecated spelling, null on newer servers
    "name_regex_delete": "^v.*",
    "name_regex_keep": "",
    "next_run_at": "2026-01-01T00:00:00.000Z",
}


def test_cleanup_policy_as_written_equals_the_policy_as_read_back():
    """Written as container_expiration_policy_attributes (name_regex), read back as
    container_expiration_policy (name_regex_delete, next_run_at): no change after a write."""
    wanted = CleanupPolicy(enabled=True, cadence="7d", keep_n=10, older_than="30d", name_regex="^v.*")
    config = Registry(cleanup_policy=wanted)
    assert diff(config, ObservedRegistry(PROJECT, {CLEANUP: read_cleanup_policy(READ_BACK)})) == []
    body = cleanup_policy_body(wanted.model_dump(exclude_none=True))
    assert body == {
        "container_expiration_policy_attributes": {
            "enabled": True,
            "cadence": "7d",
            "keep_n": 10,
            "older_than": "30d",
            "name_regex": "^v.*",
        }
    }


def test_cleanup_policy_shows_only_what_differs_and_writes_all_it_manages():
    config = Registry(cleanup_policy=CleanupPolicy(enabled=True, cadence="7d", keep_n=5))
    (change,) = diff(config, ObservedRegistry(PROJECT, {CLEANUP: read_cleanup_policy(READ_BACK)}))
    assert (change.target, change.before, change.after) == (
        "container cleanup policy",
        {"keep_n": 10},
        {"keep_n": 5},
    )
    assert change.payload.attributes == {
        "container_expiration_policy_attributes": {"enabled": True, "cadence": "7d", "keep_n": 5}
    }


def test_older_servers_read_back_name_regex_only():
    assert read_cleanup_policy({"enabled": False, "cadence": "1d", "name_regex": ".*"})["name_regex"] == ".*"


# -- job token scope ----------------------------------------------------------------------------
def job_token(**kw) -> ObservedRegistry:
    kw.setdefault("project_id", PROJECT)
    return ObservedRegistry(PROJECT, {}, job_token=ObservedJobToken(**kw))


def test_job_token_scope_reads_inbound_enabled_and_writes_enabled():
    (change,) = diff(Registry(job_token_scope=JobTokenScope(enabled=True)), job_token(inbound_enabled=False))
    assert (change.target, change.before, change.after) == (
        "job token scope",
        {"enabled": False},
        {"enabled": True},
    )
    assert change.payload.enabled is True


def test_allowlists_compare_ids_and_skip_the_project_itself():
    config = Registry(
        job_token_scope=JobTokenScope(projects=["grp/app", "grp/lib", "grp/old"], groups=["ops"])
    )
    obs = job_token(
        inbound_enabled=None,
        projects=(AllowlistEntry(11, "grp/lib"), AllowlistEntry(12, "grp/unlisted")),
        groups=(),
        project_ids={"grp/app": PROJECT, "grp/lib": 11, "grp/old": 13},
        group_ids={"ops": 20},
    )
    assert actions(diff(config, obs)) == [
        (Action.CREATE, 'job token allowlist project "grp/old"'),
        (Action.UNMANAGED, 'job token allowlist project "grp/unlisted"'),
        (Action.CREATE, 'job token allowlist group "ops"'),
    ]
    pruned = Registry(job_token_scope=JobTokenScope(projects=["grp/lib"], prune=True))
    obs = job_token(
        inbound_enabled=None, projects=obs.job_token.projects, project_ids={"grp/lib": 11}, group_ids={}
    )
    assert actions(diff(pruned, obs)) == [(Action.DELETE, 'job token allowlist project "grp/unlisted"')]


def test_an_allowlisted_path_that_does_not_exist_is_a_problem_not_a_crash():
    config = Registry(job_token_scope=JobTokenScope(projects=["grp/gone"], groups=["nope"]))
    obs = job_token(inbound_enabled=None, project_ids={"grp/gone": None}, group_ids={"nope": None})
    with pytest.raises(UnknownReference, match="project grp/gone, group nope not found"):
        diff(config, obs)


def test_group_allowlist_paths_come_from_web_urls():
    assert _group_path({"id": 4, "web_url": "https://gl.example/groups/a/b", "name": "b"}) == "a/b"
    assert _group_path({"id": 4, "web_url": "", "name": "b"}) == "b"


# -- deploy tokens --------------------------------------------------------------------------------
def token(tid: int = 1, name: str = "ci", scopes=("read_registry",), **kw) -> DeployTokenRecord:
    return DeployTokenRecord(id=tid, name=name, scopes=tuple(scopes), **kw)


def tokens_diff(desired, observed, rotate=False):
    return diff(
        Registry(deploy_tokens=desired), ObservedRegistry(PROJECT, {}, deploy_tokens=tuple(observed)), rotate
    )


@pytest.mark.parametrize(
    ("desired", "observed", "expected"),
    [
        ([DeployToken(name="ci", scopes=["read_registry"])], [], [Action.CREATE]),
        ([DeployToken(name="ci", scopes=["read_registry"])], [token()], []),
        ([DeployToken(name="ci", scopes=["write_registry", "read_registry"])], [token()], [Action.REPLACE]),
        # expiry and username are compared only when the inventory sets them
        (
            [DeployToken(name="ci", scopes=["read_registry"])],
            [token(expires_at=date(2030, 1, 1), username="x")],
            [],
        ),
        (
            [DeployToken(name="ci", scopes=["read_registry"], expires_at=date(2030, 1, 1))],
            [token()],
            [Action.REPLACE],
        ),
        ([DeployToken(name="ci", scopes=["read_registry"], username="bot")], [token(username="bot")], []),
        ([], [token()], [Action.UNMANAGED]),
    ],
)
def test_deploy_token_table(desired, observed, expected):
    assert [c.action for c in tokens_diff(desired, observed)] == expected


def test_a_changed_token_is_drift_and_only_rotate_may_replace_it():
    desired = [DeployToken(name="ci", scopes=["read_registry", "write_registry"])]
    (change,) = tokens_diff(desired, [token()])
    assert change.is_pending and needs_rotate(change) and change.detail == ROTATE_HINT
    assert change.before == {"scopes": ["read_registry"]}
    assert change.after == {"scopes": ["read_registry", "write_registry"]}
    (rotated,) = tokens_diff(desired, [token()], rotate=True)
    assert not needs_rotate(rotated) and rotated.detail is None and rotated.payload.replaces == 1


def test_two_active_tokens_of_one_name_compare_the_newest_and_report_the_other():
    changes = tokens_diff([DeployToken(name="ci", scopes=["read_registry"])], [token(3), token(1)])
    assert actions(changes) == [(Action.UNMANAGED, 'deploy token "ci" (#1)')]


def test_created_token_shows_its_destination_and_gitlab_fields():
    desired = [DeployToken(name="ci", scopes=["read_registry"], expires_at=date(2030, 1, 2))]
    (change,) = tokens_diff(desired, [])
    assert change.after == {
        "scopes": ["read_registry"],
        "expires_at": "2030-01-02",
        "token": "keyring provisioner-deploy-token/grp/app/ci",
    }
    assert change.payload.body == {"name": "ci", "scopes": ["read_registry"], "expires_at": "2030-01-02"}


def test_deploy_token_records_normalise_gitlabs_timestamps():
    record = to_record(
        {
            "id": 1,
            "name": "ci",
            "scopes": ["b", "a"],
            "expires_at": "2030-01-02T00:00:00.000Z",
            "username": "u",
        }
    )
    assert record == DeployTokenRecord(1, "ci", ("a", "b"), "u", date(2030, 1, 2))


# -- protection rules -----------------------------------------------------------------------------
def test_package_rules_are_a_complete_list_identified_by_pattern_and_type():
    desired = [
        PackageProtectionRule(package_name_pattern="app-*", package_type="pypi"),
        PackageProtectionRule(
            package_name_pattern="app-*", package_type="npm", minimum_access_level_for_delete="owner"
        ),
        PackageProtectionRule(package_name_pattern="new-*", package_type="pypi"),
    ]
    observed = (
        PackageRule(1, "app-*", "pypi", "maintainer"),
        PackageRule(2, "app-*", "npm", "maintainer"),
        PackageRule(3, "old-*", "pypi", "owner"),
    )
    changes = diff(
        Registry(package_protection_rules=desired), ObservedRegistry(PROJECT, {}, package_rules=observed)
    )
    assert actions(changes) == [
        (Action.UPDATE, 'package protection rule "app-*" (npm)'),
        (Action.CREATE, 'package protection rule "new-*" (pypi)'),
        (Action.DELETE, 'package protection rule "old-*" (pypi)'),
    ]
    assert changes[0].payload.body == {"minimum_access_level_for_delete": "owner"}


def test_container_rules_unset_a_level_explicitly():
    desired = [
        ContainerProtectionRule(
            repository_path_pattern="grp/app/*",
            minimum_access_level_for_push=None,
            minimum_access_level_for_delete="admin",
        )
    ]
    observed = (ContainerRule(5, "grp/app/*", "maintainer", None),)
    (change,) = diff(
        Registry(container_protection_rules=desired), ObservedRegistry(PROJECT, {}, container_rules=observed)
    )
    assert change.action is Action.UPDATE
    assert change.payload.body == {
        "minimum_access_level_for_push": None,
        "minimum_access_level_for_delete": "admin",
    }


def test_an_empty_rule_list_removes_every_rule():
    observed = (ContainerRule(5, "grp/app/*", "maintainer"),)
    changes = diff(
        Registry(container_protection_rules=[]), ObservedRegistry(PROJECT, {}, container_rules=observed)
    )
    assert actions(changes) == [(Action.DELETE, 'container protection rule "grp/app/*"')]


@pytest.mark.parametrize(
    "bad",
    [
        {
            "package_name_pattern": "a",
            "package_type": "pypi",
            "minimum_access_level_for_delete": "maintainer",
        },
        {"package_name_pattern": "a", "package_type": "pypi", "minimum_access_level_for_push": None},
        {"package_name_pattern": "a", "package_type": "rubygems"},
    ],
)
def test_schema_rejects_rules_gitlab_would_refuse(bad):
    with pytest.raises(ValueError):
        PackageProtectionRule(**bad)


def test_schema_rejects_duplicate_identities():
    with pytest.raises(ValueError, match="given twice"):
        Registry(deploy_tokens=[DeployToken(name="a", scopes=["read_registry"])] * 2)
    with pytest.raises(ValueError, match="given twice"):
        Registry(
            package_protection_rules=[PackageProtectionRule(package_name_pattern="a", package_type="npm")] * 2
        )
