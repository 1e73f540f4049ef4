"""Tokens that may not manage runners, registries or protection: one clear problem per cause, no writes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from provisioner.errors import ConfigError
from provisioner.inventory.schema import (
    BranchProtection,
    CleanupPolicy,
    DeployToken,
    JobTokenScope,
    ProjectRunner,
    Protection,
    Registry,
    Runners,
    TagProtection,
)
from provisioner.sandbox.seed import DANA_TOKEN
from tests.facets.sandbox_world import World, spec

BILLING = "platform/billing"
EVERYTHING = spec(
    BILLING,
    runners=Runners(shared_runners_enabled=False, create=[ProjectRunner(description="ci")]),
    registry=Registry(
        container_registry_access_level="private",
        cleanup_policy=CleanupPolicy(enabled=True),
        job_token_scope=JobTokenScope(enabled=True),
        deploy_tokens=[DeployToken(name="ci", scopes=["read_registry"])],
    ),
    protection=Protection(
        default_branch=BranchProtection(push_access_level="no_one"), tags={"v*": TagProtection()}
    ),
)


def by_facet(result) -> dict[str | None, list[tuple[str, str]]]:
    found: dict[str | None, list[tuple[str, str]]] = {}
    for project in result.projects:
        for problem in project.problems:
            found.setdefault(problem.facet, []).append((problem.kind, problem.message))
    return found


def state_of(world: World) -> tuple:
    pid = world.project_id(BILLING)
    return (
        world.get(f"/projects/{pid}"),
        world.get(f"/projects/{pid}/runners"),
        world.get(f"/projects/{pid}/deploy_tokens"),
        world.get(f"/projects/{pid}/protected_branches"),
        world.get(f"/projects/{pid}/protected_tags"),
        world.get(f"/projects/{pid}/job_token_scope"),
    )


def test_a_developer_gets_one_clear_problem_naming_every_facet_and_nothing_is_written(world: World):
    world.reset_counters()
    result = world.run([EVERYTHING], "apply", token=DANA_TOKEN)
    assert by_facet(result) == {
        None: [
            (
                "permission",
                "the token has the Developer role on this project; this needs Maintainer or higher"
                " (runners, registry, protection)",
            )
        ]
    }
    assert world.writes() == 0
    assert [c for p in result.projects for c in p.pending] == []


def test_a_read_only_token_plans(world: World):
    """read_api is enough for plan and check."""
    token = world.user_with_token("reader", ["read_api"], 40, "platform")
    result = world.run([EVERYTHING], "plan", token=token)
    assert result.projects[0].problems == () and result.projects[0].pending


def test_a_read_only_token_applies_nothing_and_says_so_once(world: World):
    """Issue 19, item 9: the token's scopes are read once; not one doomed write is sent."""
    token = world.user_with_token("reader", ["read_api"], 40, "platform")
    before = state_of(world)
    world.reset_counters()
    with pytest.raises(ConfigError, match=r"the token's scopes \(read_api\) allow no writes"):
        world.run([EVERYTHING, spec("platform/payments", blueprint="python-package")], "apply", token=token)
    assert world.counters()["by_route"] == {"GET /api/v4/personal_access_tokens/self": 1}
    assert state_of(world) == before


def test_a_developer_token_writes_nothing_to_a_project_it_cannot_fully_manage(world: World):
    """Issue 19, item 9: the files facet alone could write (a Developer may push a branch and open a
    merge request), while every other facet fails: the project is skipped whole, in one line."""
    everything_and_files = replace(
        EVERYTHING, config=EVERYTHING.config.model_copy(update={"blueprint": "python-package"})
    )
    world.reset_counters()
    result = world.run([everything_and_files], "apply", token=DANA_TOKEN)
    (problem,) = result.projects[0].problems
    assert (problem.kind, problem.facet) == ("permission", None)
    assert problem.message == (
        "skipped, nothing written: the token has the Developer role here; "
        "runners, registry, protection, protected_environments need Maintainer or higher"
    )
    assert world.writes() == 0
    assert any(c.facet == "files" for c in result.projects[0].pending)  # planned, shown, not written


def test_a_maintainer_token_is_not_held_back(world: World):
    token = world.user_with_token("mara", ["api"], 40, "platform")
    converge_as = world.run([spec(BILLING, blueprint="python-package")], "apply", token=token)
    assert [p.message for p in converge_as.projects[0].problems] == []
    assert world.writes() > 0
