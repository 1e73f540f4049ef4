"""The settings facet against the sandbox over HTTP: permissions."""

from __future__ import annotations

from typing import Any

from provisioner.inventory.schema import Project, Settings
from provisioner.inventory.spec import ProjectSpec, ResolvedVariable
from provisioner.sandbox.seed import DANA_TOKEN
from tests.facets.sandbox_world import World

BILLING = "platform/billing"


def project(world: World, path: str = BILLING) -> dict[str, Any]:
    return world.get(f"/projects/{path.replace('/', '%2F')}")


def test_a_developer_gets_the_role_said_once_for_settings_and_variables(world: World):
    """Settings GitLab shows to everyone can be planned, but PUT /projects/:id needs Maintainer: the
    refusal names the role in the same words as the variables facet's, so the cause is said once."""
    world.reset_counters()
    wanted = ProjectSpec(
        path=BILLING,
        config=Project(settings=Settings(merge_method="ff")),
        variables=(ResolvedVariable("PIP_INDEX_URL", "https://pypi.example/simple"),),
    )
    (result,) = world.run([wanted], "apply", token=DANA_TOKEN).projects
    role = "the token has the Developer role on this project; this needs Maintainer or higher"
    assert [(p.facet, p.kind, p.message) for p in result.problems] == [
        (None, "permission", f"{role} (variables, settings)")
    ]
    assert world.writes() == 0
    assert project(world)["merge_method"] == "merge"
