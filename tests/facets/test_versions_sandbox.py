"""What the inventory asks and the server's version or edition cannot honour (provisioner/gitlab_versions.py)
is said per project as `unsupported` ("needs GitLab 17.4", "needs GitLab EE"), before any write of it:
neither drift, nor a 404, nor "did not stick". Over HTTP against sandboxes serving those versions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.inventory.schema import (
    BranchProtection,
    ContainerProtectionRule,
    PackageProtectionRule,
    Project,
    Protection,
    Registry,
    Settings,
)
from provisioner.inventory.spec import ProjectSpec, ResolvedVariable
from provisioner.model import Action, RunResult
from tests.facets.sandbox_world import World, converge, pending, problems
from tests.support import Sandbox

PATH = "platform/libs/http-client"
CLAIMS = ["project_path", "ref_type", "ref"]


@pytest.fixture
def at(gitlab_at: Callable[..., Sandbox], tmp_path: Path) -> Callable[..., World]:
    def start(version: str, edition: str = "ee", **options: Any) -> World:
        return World(gitlab_at(version, edition=edition, **options).server, tmp_path)

    return start


def everything() -> ProjectSpec:
    """One project asking for every key the version table dates, and some that every version has."""
    return ProjectSpec(
        PATH,
        config=Project(
            settings=Settings(
                build_timeout=7200,
                ci_id_token_sub_claim_components=CLAIMS,
                ci_delete_pipelines_in_seconds=86400,
                ci_push_repository_for_job_token_allowed=True,
                ci_pipeline_variables_minimum_override_role="developer",
            ),
            registry=Registry(
                container_registry_access_level="private",
                package_registry_access_level="private",
                package_protection_rules=[
                    PackageProtectionRule(
                        package_name_pattern="http-*",
                        package_type="pypi",
                        minimum_access_level_for_delete="owner",
                    )
                ],
                container_protection_rules=[ContainerProtectionRule(repository_path_pattern=f"{PATH}/*")],
            ),
            protection=Protection(
                default_branch=BranchProtection(push_access_level="no_one", unprotect_access_level="admin")
            ),
        ),
        variables=(
            ResolvedVariable("PLAIN", "visible"),
            ResolvedVariable("SIGNING_KEY", "s3cr3t-signing-key", masked=True, hidden=True),
        ),
    )


def unsupported(result: RunResult) -> dict[str, str]:
    return {
        f"{c.facet}: {c.target}": str((c.after or {})["needs"])
        for p in result.projects
        for c in p.planned
        if c.action is Action.UNSUPPORTED
    }


def untouched(world: World, *routes: str) -> bool:
    by_route = world.counters()["by_route"]
    return not any(route in key for key in by_route for route in routes)


def test_on_17_0_ce_what_the_server_lacks_is_said_and_the_rest_converges(at: Callable[..., World]):
    world = at("17.0", "ce")
    world.reset_counters()
    first = converge(world, [everything()])
    assert unsupported(first) == {
        "settings: project setting ci_id_token_sub_claim_components": "needs GitLab 17.10",
        "settings: project setting ci_delete_pipelines_in_seconds": "needs GitLab 17.9",
        "settings: project setting ci_push_repository_for_job_token_allowed": "needs GitLab 17.2",
        "settings: project setting ci_pipeline_variables_minimum_override_role": "needs GitLab 17.1",
        "variables: variable SIGNING_KEY": "needs GitLab 17.4",
        "registry: registry access": "needs GitLab 17.10",
        "registry: package protection rules": "needs GitLab 17.6",
        "registry: container protection rules": "needs GitLab 17.8",
        "protection: default branch": "needs GitLab EE",
    }
    assert sorted(c.target for p in first.projects for c in p.applied) == [
        "project settings",
        'protected branch "main"',
        "registry access",
        "variable PLAIN",
    ]
    assert untouched(world, "protection/rules", "protection/repository/rules")  # never a 404 asked for
    variables = world.get(f"/projects/{world.project_id(PATH)}/variables")
    assert [v["key"] for v in variables] == ["PLAIN"]  # never written readable instead of hidden
    check = world.run([everything()], "check")
    assert (check.drift, check.failed) == (False, False)


def test_on_17_4_the_package_rules_flag_is_named_and_hidden_variables_exist(at: Callable[..., World]):
    world = at("17.4")
    first = converge(world, [everything()])
    found = unsupported(first)
    assert found["registry: package protection rules"] == "needs GitLab 17.6"
    assert "variables: variable SIGNING_KEY" not in found
    (rules,) = [c for p in first.projects for c in p.planned if c.target == "package protection rules"]
    assert rules.after["flag"] == "packages_protected_packages (off by default on this version)"
    variable = world.get(f"/projects/{world.project_id(PATH)}/variables/SIGNING_KEY")
    assert variable["hidden"] is True


def test_on_17_10_a_package_rule_is_kept_without_its_delete_level(at: Callable[..., World]):
    """REST takes `minimum_access_level_for_delete` from 17.11 [G:doc/api/project_packages_protection_
    rules.md]: the rule is created without it, and the next apply does not write it again."""
    world = at("17.10")
    first = converge(world, [everything()])
    assert unsupported(first) == {'registry: package protection rule "http-*" (pypi)': "needs GitLab 17.11"}
    (rule,) = world.get(f"/projects/{world.project_id(PATH)}/packages/protection/rules")
    assert (rule["package_name_pattern"], rule["minimum_access_level_for_push"]) == ("http-*", "maintainer")


def test_on_18_6_ee_everything_is_honoured(at: Callable[..., World]):
    world = at("18.6")
    first = converge(world, [everything()])
    assert unsupported(first) == {}
    (rule,) = world.get(f"/projects/{world.project_id(PATH)}/packages/protection/rules")
    assert rule["minimum_access_level_for_delete"] == "owner"


def test_a_plan_says_it_before_anything_is_written(at: Callable[..., World]):
    world = at("17.0", "ce")
    world.reset_counters()
    plan = world.run([everything()], "plan")
    assert world.writes() == 0 and problems(plan) == []
    assert {c["target"] for c in pending(plan)} == {
        "project settings",
        "variable PLAIN",
        "registry access",
        'protected branch "main"',
    }
    assert len(unsupported(plan)) == 9
