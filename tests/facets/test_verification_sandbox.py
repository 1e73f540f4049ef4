"""Verification after apply reads again only what the answers to the writes did not show.

A created variable, rule, token or protected tag comes back in the answer to its POST, as the list
shows it; a DELETE that answered has removed its thing. What a 204 without a body did (the job
token scope's PATCH), or a create whose answer was lost, is read again. What GitLab silently
dropped is still caught: the answer shows the old value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.gitlab import protection as api_protection
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.schema import (
    ContainerProtectionRule,
    DeployToken,
    JobTokenScope,
    PackageProtectionRule,
    Project,
    Protection,
    Registry,
    TagProtection,
    TokenStore,
)
from provisioner.inventory.spec import ProjectSpec, ResolvedVariable
from provisioner.model import Action, Change, ProjectRef
from tests.facets.sandbox_world import World, converge, problems, spec
from tests.support import OnEveryProject

PATH = "data/warehouse"


def reads(world: World, *routes: str) -> dict[str, int]:
    by_route = world.counters()["by_route"]
    return {route: by_route.get(f"GET /api/v4/projects/:id/{route}", 0) for route in routes}


def test_what_the_write_answers_showed_is_not_read_again(world: World):
    pid = world.project_id(PATH)
    limited = world.get(f"/projects/{pid}/job_token_scope")["inbound_enabled"]
    registry = Registry(
        job_token_scope=JobTokenScope(enabled=not limited),
        package_protection_rules=[PackageProtectionRule(package_name_pattern="w-*", package_type="pypi")],
        container_protection_rules=[ContainerProtectionRule(repository_path_pattern=f"{PATH}/*")],
        deploy_tokens=[DeployToken(name="pull", scopes=["read_registry"], token=TokenStore(file="pull"))],
    )
    config = ProjectSpec(
        PATH,
        Project(registry=registry, protection=Protection(tags={"v*": TagProtection()})),
        variables=(
            ResolvedVariable("NEW_ONE", "a"),
            ResolvedVariable("NEW_TWO", "b", environment_scope="staging"),
        ),
    )
    world.reset_counters()
    first = world.run([config], "apply")
    assert problems(first) == [] and [c for p in first.projects for c in p.remaining] == []
    shown = ("deploy_tokens", "protected_tags")
    # observed once over REST before the writes, and never again (the job token scope's PATCH answers
    # 204, but turning it on is what GitLab enforces then, whatever the instance says: job_tokens.py)
    assert reads(world, *shown, "job_token_scope") == dict.fromkeys((*shown, "job_token_scope"), 1)
    # Variables and the registry's protection rules plan on their bulk reads (writes_on_bulk_view) and
    # verify on the POSTs' answers: no GET.
    on_bulk = ("variables", "packages/protection/rules", "registry/protection/repository/rules")
    assert reads(world, *on_bulk) == dict.fromkeys(on_bulk, 0)
    converge(world, [config])


def test_a_create_whose_answer_was_lost_is_read_again(world: World):
    world.faults({"route": "POST /api/v4/projects/:id/variables", "kind": "drop_after", "times": 1})
    world.reset_counters()
    config = ProjectSpec(PATH, Project(), variables=(ResolvedVariable("NEW_ONE", "a"),))
    first = world.run([config], "apply")
    assert problems(first) == []
    # planned on the bulk read; the create's answer was lost, so verification reads the list once
    assert reads(world, "variables") == {"variables": 1}
    converge(world, [config])


class ForcePushByPatch(OnEveryProject):
    """Lowers the default branch's push level with PATCH `push_access_level`, which GitLab does not
    take on PATCH (only `allowed_to_push` entries, REFERENCE 2.12): the answer is 200 and shows the
    level unchanged."""

    name = "patch-levels"

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Any:
        rules = api_protection.protected_branches(api, project.id)
        return next(r.push for r in rules if r.name == "main")

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        if observed == frozenset({0}):
            return []
        return [Change(self.name, "main push", Action.UPDATE, {"push": sorted(observed)}, {"push": [0]})]

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        api_protection.update_branch(api, project.id, "main", {"push_access_level": 0})


def test_a_write_gitlab_dropped_shows_in_its_answer_and_is_reported(world: World):
    world.reset_counters()
    result = world.run([spec(PATH)], "apply", facets=[ForcePushByPatch()]).projects[0]
    (problem,) = result.problems
    assert problem.kind == "not_sticking" and "main push: did not stick" in problem.message
    assert result.applied == () and [c.target for c in result.remaining] == ["main push"]
    assert reads(world, "protected_branches") == {"protected_branches": 1}  # the answer said so
