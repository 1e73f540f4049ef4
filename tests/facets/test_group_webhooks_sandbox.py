"""A group's own webhooks (`group_webhooks`, Premium) against the sandbox: converge with the token,
then the Community Edition's finding for the group, without a read."""

from __future__ import annotations

import pytest

from provisioner.facets import inventory_sections
from provisioner.inventory.loader import load_inventory
from provisioner.inventory.spec import GroupSpec
from provisioner.model import Action
from tests.facets.sandbox_world import World, pending, problems

TOKEN = "group-hook-token-4d3c2b1a"
INVENTORY = """\
version: 1
groups:
  platform:
    group_webhooks:
      hooks:
        - {url: "https://audit.example.com/gitlab", events: [push_events, merge_requests_events], secret: "env:ONB_GROUP_HOOK"}
"""


def groups(world: World, monkeypatch: pytest.MonkeyPatch) -> list[GroupSpec]:
    monkeypatch.setenv("ONB_GROUP_HOOK", TOKEN)
    path = world.inventory_dir / "inventory.yaml"
    path.write_text(INVENTORY)
    return list(load_inventory(path, sections=inventory_sections(), check_blueprint=lambda *_: []).groups)


def test_a_group_hook_converges(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = groups(world, monkeypatch)
    first = world.run(specs, "apply")  # type: ignore[arg-type]
    assert problems(first) == [] and [c.target for p in first.projects for c in p.applied] == [
        "webhook https://audit.example.com/gitlab"
    ]
    [hook] = world.server.state.namespaces[world.get("/groups/platform")["id"]].hooks
    assert hook.token == TOKEN and hook.events["merge_requests_events"] is True
    world.reset_counters()
    second = world.run(specs, "apply")  # type: ignore[arg-type]
    assert (world.writes(), pending(second), problems(second)) == (0, [], [])


def test_the_community_edition_needs_ee_for_group_hooks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.set_version("18.6.0")
    plan = world.run(groups(world, monkeypatch), "plan")  # type: ignore[arg-type]
    assert problems(plan) == []
    assert [(c.action, c.after["needs"]) for p in plan.projects for c in p.planned] == [
        (Action.UNSUPPORTED, "needs GitLab EE")
    ]
    assert not any("hooks" in key for key in world.counters()["by_route"])
