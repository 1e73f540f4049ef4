"""The protection facet against the sandbox over HTTP: every write, then convergence."""

from __future__ import annotations

from provisioner.facets.protection import ProjectProtection
from provisioner.gitlab.once import ATTEMPTS
from provisioner.inventory.schema import BranchProtection, Protection, Settings, TagProtection
from tests.facets.sandbox_world import World, applied, converge, problems, spec


def levels(rule: dict, kind: str) -> list[int]:
    return sorted(a["access_level"] for a in rule[f"{kind}_access_levels"])


def protected_branch(world: World, path: str, name: str) -> dict:
    return world.get(f"/projects/{world.project_id(path)}/protected_branches/{name}")


def test_release_tags_and_a_stricter_default_branch(world: World):
    config = Protection(
        default_branch=BranchProtection(push_access_level="no_one", merge_access_level="maintainer"),
        tags={"v*": TagProtection(create_access_level="maintainer")},
    )
    result = converge(world, [spec("platform/billing", protection=config)])
    assert applied(result) == [("replace", 'protected branch "main"'), ("create", 'protected tag "v*"')]
    main = protected_branch(world, "platform/billing", "main")
    assert (levels(main, "push"), levels(main, "merge"), main["allow_force_push"]) == ([0], [40], False)
    tag = world.get(f"/projects/{world.project_id('platform/billing')}/protected_tags/v*")
    assert levels(tag, "create") == [40]


def test_force_push_alone_is_patched_in_place(world: World):
    before = protected_branch(world, "platform/payments", "main")
    config = Protection(default_branch=BranchProtection(push_access_level="no_one", allow_force_push=True))
    result = converge(world, [spec("platform/payments", protection=config)])
    assert applied(result) == [("update", 'protected branch "main"')]
    after = protected_branch(world, "platform/payments", "main")
    assert after["allow_force_push"] is True and after["id"] == before["id"]  # same rule, not re-created


def test_a_tag_level_change_replaces_the_rule(world: World):
    converge(world, [spec("platform/billing", protection=Protection(tags={"v*": TagProtection()}))])
    config = Protection(tags={"v*": TagProtection(create_access_level="no_one")})
    result = converge(world, [spec("platform/billing", protection=config)])
    assert applied(result) == [("replace", 'protected tag "v*"')]
    tag = world.get(f"/projects/{world.project_id('platform/billing')}/protected_tags/v*")
    assert levels(tag, "create") == [0]


def test_an_empty_repository_protects_the_branch_it_will_have(world: World):
    config = Protection(default_branch=BranchProtection(unprotect_access_level="admin"))
    result = converge(world, [spec("data/ingest", protection=config)])
    assert applied(result) == [("create", 'protected branch "main"')]
    assert levels(protected_branch(world, "data/ingest", "main"), "unprotect") == [60]
    # the inventory's default branch, when it names one (only this facet: the branch does not exist yet)
    named = spec("data/ingest", protection=config, settings=Settings(default_branch="trunk"))
    result = converge(world, [named], facets=[ProjectProtection()])
    assert applied(result) == [("create", 'protected branch "trunk"')]


def test_named_branches_besides_the_default(world: World):
    config = Protection(branches={"release/*": BranchProtection(merge_access_level="developer")})
    result = converge(world, [spec("platform/billing", protection=config)])
    assert applied(result) == [("create", 'protected branch "release/*"')]
    assert levels(protected_branch(world, "platform/billing", "release%2F*"), "merge") == [30]


def test_a_replacement_gitlab_refuses_restores_the_old_rule(world: World):
    """Levels change by delete and create; if the create fails, the branch is protected as before."""
    route = "POST /api/v4/projects/:id/protected_branches"
    world.faults({"route": route, "kind": "error", "status": 500, "times": ATTEMPTS})  # every attempt
    config = Protection(default_branch=BranchProtection(push_access_level="no_one"))
    result = world.run([spec("platform/billing", protection=config)], "apply")
    (problem,) = problems(result)
    assert problem.startswith("protection: POST /projects/") and "500" in problem
    main = protected_branch(world, "platform/billing", "main")
    assert (levels(main, "push"), levels(main, "merge")) == ([40], [40])  # as the demo world had it

    converge(world, [spec("platform/billing", protection=config)])
    assert levels(protected_branch(world, "platform/billing", "main"), "push") == [0]


def test_a_blueprint_project_gets_the_tags_its_release_jobs_need(world: World):
    """python-package releases only from protected v* tags: the facet protects them unasked."""
    result = converge(
        world, [spec("platform/billing", blueprint="python-package")], facets=[ProjectProtection()]
    )
    assert applied(result) == [("create", 'protected tag "v*"')]
    tag = world.get(f"/projects/{world.project_id('platform/billing')}/protected_tags/v*")
    assert levels(tag, "create") == [40]
    off = spec("platform/payments", blueprint="python-package", protection=Protection(release_tags=False))
    assert applied(converge(world, [off], facets=[ProjectProtection()])) == []
