"""Tokens that may not manage runners, registries or protection: one clear problem per cause, no writes."""

from __future__ import annotations

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


def test_a_read_only_token_gets_one_problem_per_cause_and_changes_nothing(world: World):
    token = world.user_with_token("reader", ["read_api"], 40, "platform")
    before = state_of(world)
    result = world.run([EVERYTHING], "apply", token=token)
    problems = result.projects[0].problems
    assert problems and all(p.kind == "permission" and "insufficient_scope" in p.message for p in problems)
    assert len({p.message for p in problems}) == len(problems)  # the same cause is said once
    named = " ".join(f"{p.facet} {p.message}" for p in problems)
    assert all(facet in named for facet in ("runners", "registry", "protection"))
    assert state_of(world) == before
