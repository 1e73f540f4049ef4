"""Every facet's attributes of a project go out in one `PUT /projects/:id` (engine/attributes.py), and
each facet is still verified, and blamed, on its own: from the PUT's answer, with no read of the
project after it. Over HTTP against the sandbox, with requests counted by route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.facets import FACETS
from provisioner.facets.base import ApplyContext, PlanOptions, TargetAttributes
from provisioner.facets.files import ProjectFiles
from provisioner.facets.settings import ProjectSettings
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.schema import Project, Registry, Runners, Settings
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef
from tests.facets.onboarding import project
from tests.facets.sandbox_world import World, applied, converge, problems, spec
from tests.support import OnEveryProject

BILLING = "platform/billing"
PUT = "PUT /api/v4/projects/:id"
GET = "GET /api/v4/projects/:id"
MAINTAINER = 40


def entity(world: World) -> dict[str, Any]:
    return dict(world.get(f"/projects/{BILLING.replace('/', '%2F')}"))


def requests_to_the_project(world: World) -> tuple[int, int]:
    by_route = world.counters()["by_route"]
    return by_route.get(PUT, 0), by_route.get(GET, 0)


def three_facets(world: World, **settings: Any) -> ProjectSpec:
    """Settings, runner toggles and registry access, each different from what GitLab has now."""
    now = entity(world)
    level = "private" if now["container_registry_access_level"] != "private" else "enabled"
    return spec(
        BILLING,
        settings=Settings(build_timeout=now["build_timeout"] + 600, **settings),
        runners=Runners(shared_runners_enabled=not now["shared_runners_enabled"]),
        registry=Registry(container_registry_access_level=level),
    )


def test_every_facets_attributes_go_out_in_one_put_and_are_verified_from_its_answer(world: World):
    wanted = three_facets(world)
    world.reset_counters()
    first = world.run([wanted], "apply")
    assert problems(first) == []
    assert applied(first) == [
        ("update", "project settings"),
        ("update", "runner settings"),
        ("update", "registry access"),
    ]
    # One PUT for the three facets (one each before), and the project read once, to plan: verifying
    # the three compares with the PUT's answer.
    assert requests_to_the_project(world) == (1, 1)
    now = entity(world)
    assert (now["build_timeout"], now["shared_runners_enabled"], now["container_registry_access_level"]) == (
        wanted.config.settings.build_timeout,
        wanted.config.runners.shared_runners_enabled,
        wanted.config.registry.container_registry_access_level,
    )
    converge(world, [wanted])  # a second apply writes nothing, a plan after it is empty


def test_an_attribute_gitlab_drops_is_said_not_to_stick_against_the_facet_that_asked(world: World):
    """GitLab drops max_artifacts_size from a Maintainer's PUT without an error (test_settings_sandbox):
    in the merged PUT, only the settings facet did not stick; the runners and registry did."""
    token = world.user_with_token("mona", ["api"], MAINTAINER, "platform")
    wanted = three_facets(world, max_artifacts_size=50)
    world.reset_counters()
    first = world.run([wanted], "apply", token=token)
    assert problems(first) == [
        "settings: project settings: did not stick after apply (GitLab kept {max_artifacts_size: null})"
    ]
    assert ("update", "runner settings") in applied(first) and ("update", "registry access") in applied(first)
    assert requests_to_the_project(world) == (1, 1)


class Renamed(OnEveryProject):
    """Sets `ci_config_path` under a name this GitLab does not know (as after a rename): GitLab drops
    unknown attributes silently, so the merged PUT succeeds and this facet's part changed nothing."""

    name = "renamed"

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Any:
        return project.attributes["ci_config_path"]

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        if observed == "ci/main.yml":
            return []
        payload = TargetAttributes({"ci_config_file": "ci/main.yml"})
        before, after = {"ci_config_path": observed}, {"ci_config_path": "ci/main.yml"}
        return [Change(self.name, "ci config", Action.UPDATE, before, after, payload=payload)]

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        raise AssertionError("the engine writes a facet's attributes; nothing else is left to apply")


def test_an_unknown_attribute_in_the_merged_put_is_said_not_to_stick_against_its_facet(world: World):
    wanted = three_facets(world)
    world.reset_counters()
    first = world.run([wanted], "apply", facets=[*FACETS, Renamed()])
    assert [(p.facet, p.kind) for r in first.projects for p in r.problems] == [("renamed", "not_sticking")]
    assert "ci config: did not stick" in problems(first)[0]
    assert ("update", "project settings") in applied(first) and ("update", "registry access") in applied(
        first
    )
    assert requests_to_the_project(world) == (1, 1)


def test_a_refusal_naming_one_facets_attribute_fails_that_facet_and_the_others_are_written(world: World):
    """A public project in a private group: GitLab refuses `visibility_level` (the model's name for
    `visibility`) and keeps nothing of that PUT. The settings facet fails, named; the runner and
    registry attributes go out again without it, and nothing of the settings (build_timeout) is written."""
    before = entity(world)
    wanted = three_facets(world, visibility="public")
    world.reset_counters()
    first = world.run([wanted], "apply")
    (refused,) = [p for r in first.projects for p in r.problems]
    assert (refused.facet, refused.kind) == ("settings", "error")
    assert "visibility_level public is not allowed in a private group" in refused.message
    assert applied(first) == [("update", "runner settings"), ("update", "registry access")]
    assert requests_to_the_project(world) == (2, 1)  # refused, then sent again without the settings
    now = entity(world)
    assert (now["visibility"], now["build_timeout"]) == ("private", before["build_timeout"])
    assert now["shared_runners_enabled"] == wanted.config.runners.shared_runners_enabled


def test_a_refusal_naming_no_attribute_fails_every_facet_that_asked(world: World):
    """A default branch that does not exist is refused without naming an attribute: it cannot be
    told whose attribute it was, so each facet that sent one fails and says so; nothing is written."""
    now = entity(world)
    wanted = spec(
        BILLING,
        settings=Settings(default_branch="no-such-branch"),
        runners=Runners(shared_runners_enabled=not now["shared_runners_enabled"]),
    )
    world.reset_counters()
    first = world.run([wanted], "apply")
    assert [p.facet for r in first.projects for p in r.problems] == ["settings", "runners"]
    assert all("no-such-branch" in message for message in problems(first))
    assert applied(first) == [] and world.writes() == 1
    assert entity(world)["shared_runners_enabled"] == now["shared_runners_enabled"]


class Dependent(OnEveryProject):
    """Sets the description (a project attribute) and, in its own apply, writes something that only
    works once it is set, as a registry's protection rule needs the registry enabled."""

    name = "dependent"

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Any:
        keys = {v["key"] for v in api.list(f"/projects/{project.id}/variables")}
        return project.attributes.get("description"), "DEPENDENT" in keys

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        description, variable = observed
        changes = []
        if description != "ready":
            payload = TargetAttributes({"description": "ready"})
            changes.append(Change(self.name, "description", Action.UPDATE, None, None, payload=payload))
        if not variable:
            changes.append(Change(self.name, "variable DEPENDENT", Action.CREATE))
        return changes

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        assert [c.target for c in changes] == ["variable DEPENDENT"]
        if api.get(f"/projects/{project.id}")["description"] != "ready":
            raise AssertionError("applied before the attributes it relies on were written")
        api.post(f"/projects/{project.id}/variables", {"key": "DEPENDENT", "value": "1"})


def test_the_attributes_are_written_before_any_facet_applies_the_rest(world: World):
    """Even a facet ahead of every other in the registry finds all the attributes written already."""
    wanted = three_facets(world)
    first = world.run([wanted], "apply", facets=[Dependent(), *FACETS])
    assert problems(first) == []
    assert ("update", "description") in applied(first) and ("create", "variable DEPENDENT") in applied(first)
    converge(world, [wanted], facets=[Dependent(), *FACETS])


def test_a_share_made_after_the_put_revises_the_entity_its_answer_showed(world: World):
    """The project's shares are in its entity: the share made after the PUT changes the kept answer
    (as GitLab made it), so that verifying the shares facet reads nothing either; a new role after."""
    timeout = entity(world)["build_timeout"]
    for level, seconds in (("developer", timeout + 600), ("reporter", timeout + 1200)):
        wanted = project(BILLING, settings={"build_timeout": seconds}, shares={"groups": {"data": level}})
        world.reset_counters()
        first = world.run([wanted], "apply")
        assert problems(first) == [] and [c for r in first.projects for c in r.remaining] == []
        assert requests_to_the_project(world) == (1, 1)
        converge(world, [wanted])
    shares = entity(world)["shared_with_groups"]
    assert [(s["group_full_path"], s["group_access_level"]) for s in shares] == [("data", 20)]


def test_the_first_commit_of_an_empty_repository_has_the_project_read_again_to_verify(world: World):
    """The entity the PUT answered says the repository is empty; the files facet's first commit makes
    its default branch: what verification compares is read again, and holds."""
    wanted = ProjectSpec(
        "data/ingest", Project(blueprint="python-package", settings=Settings(build_timeout=7200))
    )
    facets = [ProjectSettings(), ProjectFiles()]
    world.reset_counters()
    first = world.run([wanted], "apply", facets=facets)
    assert problems(first) == [] and [c for r in first.projects for c in r.remaining] == []
    assert requests_to_the_project(world) == (1, 2)
    converge(world, [wanted], facets=facets)
