"""Creates whose answer is lost (the server did the work, the client never heard): the facets look
before posting again, so there is no duplicate, no 409/422, and the next run writes nothing."""

from __future__ import annotations

from provisioner.inventory.schema import (
    BranchProtection,
    ContainerProtectionRule,
    JobTokenScope,
    PackageProtectionRule,
    Protection,
    Registry,
    Runners,
    RunnerSelector,
    TagProtection,
)
from tests.facets.sandbox_world import World, converge, problems, spec

ROUTES = [
    "POST /api/v4/projects/:id/runners",
    "POST /api/v4/projects/:id/job_token_scope/allowlist",
    "POST /api/v4/projects/:id/job_token_scope/groups_allowlist",
    "POST /api/v4/projects/:id/packages/protection/rules",
    "POST /api/v4/projects/:id/registry/protection/repository/rules",
    "POST /api/v4/projects/:id/protected_branches",
    "POST /api/v4/projects/:id/protected_tags",
]


def test_every_create_survives_a_lost_answer(world: World):
    world.faults(*({"route": route, "kind": "drop_after", "times": 1} for route in ROUTES))
    world.reset_counters()
    config = spec(
        "data/ingest",
        runners=Runners(assign=[RunnerSelector(description="warehouse-shell")]),
        registry=Registry(
            job_token_scope=JobTokenScope(projects=["data/warehouse"], groups=["platform"]),
            package_protection_rules=[
                PackageProtectionRule(package_name_pattern="ingest-*", package_type="pypi")
            ],
            container_protection_rules=[ContainerProtectionRule(repository_path_pattern="data/ingest/*")],
        ),
        protection=Protection(default_branch=BranchProtection(), tags={"v*": TagProtection()}),
    )
    first = world.run([config], "apply")
    assert problems(first) == []
    by_route = world.counters()["by_route"]
    assert {route: by_route.get(route) for route in ROUTES} == dict.fromkeys(ROUTES, 1)  # each posted once
    converge(world, [config])
    pid = world.project_id("data/ingest")
    assert len(world.get(f"/projects/{pid}/registry/protection/repository/rules")) == 1
    assert len(world.get(f"/projects/{pid}/packages/protection/rules")) == 1
    assert [b["name"] for b in world.get(f"/projects/{pid}/protected_branches")] == ["main"]
    assert [t["name"] for t in world.get(f"/projects/{pid}/protected_tags")] == ["v*"]


DELETES = [
    "DELETE /api/v4/projects/:id/runners/:runner_id",
    "DELETE /api/v4/projects/:id/job_token_scope/allowlist/:target_project_id",
    "DELETE /api/v4/projects/:id/job_token_scope/groups_allowlist/:target_group_id",
    "DELETE /api/v4/projects/:id/packages/protection/rules/:rule_id",
    "DELETE /api/v4/projects/:id/registry/protection/repository/rules/:rule_id",
    "DELETE /api/v4/projects/:id/protected_branches/:name",
    "DELETE /api/v4/projects/:id/protected_tags/:name",
]


def test_every_delete_survives_a_lost_answer(world: World):
    """The transport repeats a DELETE whose answer was lost; finding nothing left to delete is success."""
    first = spec(
        "data/reports",
        runners=Runners(assign=[RunnerSelector(description="warehouse-shell")]),
        registry=Registry(
            job_token_scope=JobTokenScope(projects=["data/warehouse"], groups=["platform"]),
            package_protection_rules=[PackageProtectionRule(package_name_pattern="r-*", package_type="pypi")],
            container_protection_rules=[ContainerProtectionRule(repository_path_pattern="data/reports/*")],
        ),
        protection=Protection(default_branch=BranchProtection(), tags={"v*": TagProtection()}),
    )
    converge(world, [first])
    world.faults(*({"route": route, "kind": "drop_after", "times": 1} for route in DELETES))
    world.reset_counters()
    second = spec(
        "data/reports",
        runners=Runners(prune=True),
        registry=Registry(
            job_token_scope=JobTokenScope(prune=True),
            package_protection_rules=[],
            container_protection_rules=[],
        ),
        protection=Protection(
            default_branch=BranchProtection(push_access_level="no_one"),
            tags={"v*": TagProtection(create_access_level="no_one")},
        ),
    )
    result = world.run([second], "apply")
    assert problems(result) == []
    by_route = world.counters()["by_route"]
    assert {route: by_route.get(route) for route in DELETES} == dict.fromkeys(DELETES, 2)  # sent, repeated
    converge(world, [second])
