"""Webhooks against the sandbox over HTTP: the token and header values written once and with --rotate
only, never shown; drift on what GitLab shows; prune; GitLab 17.0 without names and custom headers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from provisioner.model import Action
from provisioner.sandbox.seed import DANA_TOKEN
from tests.facets.inventory_specs import specs_from
from tests.facets.sandbox_world import World, applied, converge, pending, problems

TOKEN, ROTATED, HEADER = "hook-token-0a1b2c3d", "hook-token-rotated-9f8e", "Bearer chat-header-77aa"
INVENTORY = """\
version: 1
projects:
  platform/billing:
    webhooks:
      hooks:
        - url: https://chat.example.com/hooks/billing
          events: [push_events, merge_requests_events, pipeline_events]
          enable_ssl_verification: true
          name: chat
          secret: env:ONB_HOOK_TOKEN
          custom_headers:
            Authorization: {secret: env:ONB_HOOK_HEADER}
            X-Team: platform
        - url: https://deploy:s3cr3t-pass@ci.example.com/trigger
          events: [tag_push_events]
"""


@pytest.fixture(autouse=True)
def hook_secrets() -> Iterator[None]:
    os.environ.update(ONB_HOOK_TOKEN=TOKEN, ONB_HOOK_HEADER=HEADER)
    yield
    for name in ("ONB_HOOK_TOKEN", "ONB_HOOK_HEADER"):
        os.environ.pop(name, None)


def stored(world: World) -> dict[str, object]:
    project = world.server.state.projects[world.project_id("platform/billing")]
    return {hook.url: hook for hook in project.hooks}


def test_hooks_converge_with_their_token_and_headers(world: World) -> None:
    result = converge(world, specs_from(world, INVENTORY))
    targets = [target for _, target in applied(result)]
    assert targets == [
        "webhook https://chat.example.com/hooks/billing",
        "webhook https://deploy:(sensitive)@ci.example.com/trigger",
    ]
    chat = stored(world)["https://chat.example.com/hooks/billing"]
    assert chat.token == TOKEN and chat.custom_headers == {"Authorization": HEADER, "X-Team": "platform"}
    assert chat.events == {
        e: e in ("push_events", "merge_requests_events", "pipeline_events") for e in chat.events
    }
    shown = str([c.public() for p in result.projects for c in p.applied])
    assert TOKEN not in shown and HEADER not in shown and "s3cr3t-pass" not in shown


def test_the_token_is_rewritten_only_with_rotate(world: World) -> None:
    specs = specs_from(world, INVENTORY)
    converge(world, specs)
    os.environ["ONB_HOOK_TOKEN"] = ROTATED
    specs = specs_from(world, INVENTORY)
    world.reset_counters()
    assert pending(world.run(specs, "apply")) == [] and world.writes() == 0  # GitLab cannot show it: no drift
    rotated = world.run(specs, "apply", rotate=True)
    assert problems(rotated) == []
    chat = stored(world)["https://chat.example.com/hooks/billing"]
    assert chat.token == ROTATED
    assert "did not stick" not in str(problems(rotated))


def test_drift_prune_and_headers_removed(world: World) -> None:
    specs = specs_from(world, INVENTORY)
    converge(world, specs)
    project = world.project_id("platform/billing")
    chat = next(h for h in world.get(f"/projects/{project}/hooks") if "chat" in h["url"])
    world.request(
        "PUT", f"/projects/{project}/hooks/{chat['id']}", json={"url": chat["url"], "job_events": True}
    )
    world.request("POST", f"/projects/{project}/hooks", json={"url": "https://old.example.com/x"})
    check = world.run(specs, "check")
    assert [c["target"] for c in pending(check)] == ["webhook https://chat.example.com/hooks/billing"]
    assert [c.target for p in check.projects for c in p.planned if c.action is Action.UNMANAGED] == [
        "webhook https://old.example.com/x"
    ]
    fewer = INVENTORY.replace("      hooks:\n", "      prune: true\n      hooks:\n").replace(
        "            X-Team: platform\n", ""
    )
    converge(world, specs_from(world, fewer))
    assert sorted(stored(world)) == [
        "https://chat.example.com/hooks/billing",
        "https://deploy:s3cr3t-pass@ci.example.com/trigger",
    ]
    assert stored(world)["https://chat.example.com/hooks/billing"].custom_headers == {"Authorization": HEADER}


def test_gitlab_17_0_has_no_names_nor_custom_headers(world: World) -> None:
    world.set_version("17.0.0")
    result = converge(world, specs_from(world, INVENTORY))
    found = [
        (c.action, c.after["needs"])
        for p in result.projects
        for c in p.planned
        if c.action is Action.UNSUPPORTED
    ]
    assert found == [(Action.UNSUPPORTED, "needs GitLab 17.1"), (Action.UNSUPPORTED, "needs GitLab 17.1")]
    chat = stored(world)["https://chat.example.com/hooks/billing"]
    assert chat.token == TOKEN and chat.custom_headers == {} and chat.name is None


def test_a_developer_token_gets_one_clear_permission_problem(world: World) -> None:
    result = world.run(specs_from(world, INVENTORY), "plan", token=DANA_TOKEN)
    assert [p.kind.value for r in result.projects for p in r.problems] == ["permission"]
    assert "needs Maintainer" in problems(result)[0]
