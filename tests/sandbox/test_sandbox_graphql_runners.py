"""GraphQL `Project.runners`: what Ci::RunnersFinder lists (the project's runner toggles apply, as in
REST), each node authorised with `read_runner` [G:app/finders/ci/runners_finder.rb, app/models/ci/
runner.rb `owned_or_instance_wide`, app/policies/ci/runner_policy.rb]."""

from __future__ import annotations

import pytest

from provisioner.sandbox.routes.users import add_user
from provisioner.sandbox.runner_policy import can_read
from provisioner.sandbox.state import DEVELOPER, MAINTAINER, Runner, State
from provisioner.sandbox.world import add_member, new_group, new_project

RUNNERS = '{ project(fullPath: "data/warehouse") { runners { nodes { description runnerType } } } }'


def _graphql_runners(sandbox):
    nodes = sandbox.graphql(RUNNERS)["data"]["project"]["runners"]["nodes"]
    return sorted(n["description"] for n in nodes)


def _rest_runners(sandbox):
    return sorted(r["description"] for r in sandbox.api.get("/projects/data%2Fwarehouse/runners").json())


def test_graphql_and_rest_both_honour_the_runner_toggles(sandbox):
    everything = ["data-gpu", "gitlab-shared-docker", "warehouse-shell"]
    assert _graphql_runners(sandbox) == _rest_runners(sandbox) == everything
    sandbox.api.put("/projects/data%2Fwarehouse", json={"shared_runners_enabled": False})
    assert _graphql_runners(sandbox) == _rest_runners(sandbox) == ["data-gpu", "warehouse-shell"]
    sandbox.api.put("/projects/data%2Fwarehouse", json={"group_runners_enabled": False})
    assert _graphql_runners(sandbox) == _rest_runners(sandbox) == ["warehouse-shell"]


@pytest.fixture
def world() -> dict[str, object]:
    """A group `g` with a subgroup `g/s`, a project in each, and users at the roles the policy names."""
    state = State()
    root = add_user(state, "root", "Root", "root@x.test", is_admin=True)
    g = new_group(state, "G", "g")
    s = new_group(state, "S", "s", parent_id=g.id)
    top = new_project(state, root, g, "top", "top")
    deep = new_project(state, root, s, "deep", "deep")
    users = {
        name: add_user(state, name, name, f"{name}@x.test") for name in ("gm", "gd", "pm", "pd", "other")
    }
    add_member(g, users["gm"], MAINTAINER)
    add_member(g, users["gd"], DEVELOPER)
    add_member(deep, users["pm"], MAINTAINER)
    add_member(deep, users["pd"], DEVELOPER)

    def runner(kind: str, **ids: list[int]) -> Runner:
        return Runner(id=state.next_id("runner"), runner_type=kind, token="t", created_at="x", **ids)

    return {
        "state": state,
        "root": root,
        "deep": deep,
        "users": users,
        "instance": runner("instance_type"),
        "group": runner("group_type", group_ids=[g.id]),
        "project": runner("project_type", project_ids=[top.id, deep.id]),
        "top_only": runner("project_type", project_ids=[top.id]),
    }


@pytest.mark.parametrize(
    ("who", "runner", "readable"),
    [
        ("anonymous", "instance", False),  # rule { anonymous }.prevent_all
        ("other", "instance", True),  # any signed-in user reads instance runners
        ("root", "top_only", True),  # administrators
        ("gm", "group", True),  # Maintainer of the runner's group
        ("gd", "group", False),
        ("pm", "group", True),  # Maintainer of a project below it that takes group runners
        ("pd", "group", False),
        ("pm", "project", True),  # Maintainer of a project the runner is assigned to
        ("pd", "project", False),
        ("pm", "top_only", False),  # assigned to another project only
        ("gm", "top_only", True),  # Maintainer of that project through its group
    ],
)
def test_who_may_read_a_runner(world, who, runner, readable):
    state = world["state"]
    user = None if who == "anonymous" else world["root"] if who == "root" else world["users"][who]
    assert can_read(state, user, world[runner]) is readable


def test_a_project_that_refuses_group_runners_gives_no_read_access_to_them(world):
    """`any_associated_projects_in_group_runner_inheriting_group_runners`: only projects that take
    group runners count."""
    world["deep"].settings["group_runners_enabled"] = False
    assert can_read(world["state"], world["users"]["pm"], world["group"]) is False
