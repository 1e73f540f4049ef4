"""The protected environments facets against the sandbox over HTTP: a blueprint's environments, users,
groups and approvals, drift, prune, what GitLab drops, a group's tiers, the Community Edition, and
import reproducing it all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.facets import inventory_sections
from provisioner.facets.protected_environments import GroupProtectedEnvironments, ProjectProtectedEnvironments
from provisioner.inventory.schema import group_own_model, project_model
from provisioner.inventory.sections.protected_environments import (
    GroupProtectedEnvironmentsSection,
    ProtectedEnvironmentsSection,
)
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from tests.facets.sandbox_world import World, applied, converge, pending, problems
from tests.support import Sandbox

FACET = [ProjectProtectedEnvironments()]
BILLING = "/projects/platform%2Fbilling/protected_environments"


def spec(path: str, **config: Any) -> ProjectSpec:
    """A project with the sections the registered facets bring (as the loader builds it)."""
    return ProjectSpec(path, project_model(inventory_sections()).model_validate(config))


def environments(world: World, path: str = BILLING) -> dict[str, Any]:
    return {e["name"]: e for e in world.get(path)}


def levels(env: dict[str, Any], key: str = "deploy_access_levels") -> set[tuple[Any, ...]]:
    return {(a["access_level"], a["user_id"], a["group_id"], a.get("required_approvals")) for a in env[key]}


def section(**entry: Any) -> ProtectedEnvironmentsSection:
    return ProtectedEnvironmentsSection.model_validate(entry)


def test_a_blueprint_project_gets_the_environments_it_publishes_from(world: World):
    project = spec(
        "platform/billing", blueprint="python-package", blueprint_vars={"publish_to": ["gitlab", "pypi"]}
    )
    result = converge(world, [project], facets=FACET)
    assert applied(result) == [
        ("create", 'protected environment "gitlab-packages"'),
        ("create", 'protected environment "pypi"'),
    ]
    assert {name: levels(env) for name, env in environments(world).items()} == {
        "gitlab-packages": {(40, None, None, None)},
        "pypi": {(40, None, None, None)},
    }


def test_users_groups_and_approvals_converge_and_a_change_behind_the_tools_back_is_found(world: World):
    data = world.get("/groups/data")["id"]
    world.request("POST", "/projects/platform%2Fbilling/share", json={"group_id": data, "group_access": 30})
    wanted = section(
        environments={
            "production": {
                "deploy": ["maintainer", {"user": "dana"}],
                "approvals": [{"group": "data", "inherited": True, "required": 2}, {"role": "maintainer"}],
            }
        }
    )
    project = spec("platform/billing", protected_environments=wanted)
    assert applied(converge(world, [project], facets=FACET)) == [
        ("create", 'protected environment "production"')
    ]
    production = environments(world)["production"]
    dana = world.get("/users", username="dana")[0]["id"]
    assert levels(production) == {(None, dana, None, None), (40, None, None, None)}
    assert levels(production, "approval_rules") == {(None, None, data, 2), (40, None, None, 1)}
    assert [a["group_inheritance_type"] for a in production["approval_rules"] if a["group_id"]] == [1]

    maintainers = next(a for a in production["deploy_access_levels"] if a["access_level"] == 40)
    world.request(
        "PUT",
        f"{BILLING}/production",
        json={"deploy_access_levels": [{"id": maintainers["id"], "_destroy": True}, {"access_level": 30}]},
    )
    (drift,) = pending(world.run([project], "check", facets=FACET))
    assert (drift["action"], drift["before"], drift["after"]) == (
        "update",
        {"deploy": ["developer", "user dana"]},
        {"deploy": ["maintainer", "user dana"]},
    )
    assert applied(converge(world, [project], facets=FACET)) == [
        ("update", 'protected environment "production"')
    ]
    assert levels(environments(world)["production"]) == {(None, dana, None, None), (40, None, None, None)}


def test_unnamed_environments_are_reported_then_pruned(world: World):
    world.request("POST", BILLING, json={"name": "staging", "deploy_access_levels": [{"access_level": 30}]})
    named = spec(
        "platform/billing",
        protected_environments=section(environments={"production": {"deploy": ["maintainer"]}}),
    )
    plan = world.run([named], "plan", facets=FACET)
    assert [(c.action.value, c.target) for p in plan.projects for c in p.planned] == [
        ("create", 'protected environment "production"'),
        ("unmanaged", 'protected environment "staging"'),
    ]
    pruning = spec(
        "platform/billing",
        protected_environments=section(environments={"production": {"deploy": ["maintainer"]}}, prune=True),
    )
    result = converge(world, [pruning], facets=FACET)
    assert ("delete", 'protected environment "staging"') in applied(result)
    assert list(environments(world)) == ["production"]


def test_someone_gitlab_does_not_accept_does_not_stick_and_is_said(world: World):
    """rita is no member of platform/billing: GitLab drops her without a word, verification says so."""
    wanted = section(environments={"production": {"deploy": ["maintainer", {"user": "rita"}]}})
    result = world.run([spec("platform/billing", protected_environments=wanted)], "apply", facets=FACET)
    (problem,) = problems(result)
    assert problem.startswith('protected_environments: protected environment "production": did not stick')
    unknown = section(environments={"production": {"deploy": [{"user": "nobody-here"}]}})
    (missing,) = problems(
        world.run([spec("platform/billing", protected_environments=unknown)], "plan", facets=FACET)
    )
    assert missing == "protected_environments: protected environments: no user nobody-here on this GitLab"


def test_a_groups_tiers(world: World):
    libs = world.get("/groups/platform%2Flibs")["id"]
    wanted = GroupProtectedEnvironmentsSection.model_validate(
        {
            "environments": {
                "production": {"deploy": [{"group": "platform/libs"}], "approvals": ["maintainer"]}
            }
        }
    )
    group = GroupSpec("platform", config=_group_config(wanted))
    result = converge(world, [group], facets=[GroupProtectedEnvironments()])  # type: ignore[list-item]
    assert applied(result) == [("create", 'protected environment "production"')]
    production = environments(world, "/groups/platform/protected_environments")["production"]
    assert levels(production) == {(None, None, libs, None)}


def _group_config(section: GroupProtectedEnvironmentsSection) -> Any:
    return group_own_model(inventory_sections()).model_validate({"group_protected_environments": section})


def test_the_community_edition_says_needs_ee_and_reads_nothing(world: World):
    world.set_version("18.6.0")
    world.reset_counters()
    result = world.run([spec("platform/billing", blueprint="python-package")], "plan", facets=FACET)
    (finding,) = [c for p in result.projects for c in p.planned]
    assert (finding.action.value, finding.after) == (
        "unsupported",
        {"needs": "needs GitLab EE", "feature": "rest:GET /projects/:id/protected_environments"},
    )
    assert problems(result) == []
    routes = world.counters()["by_route"]
    assert not [route for route in routes if "protected_environments" in route], routes


def test_import_writes_them_back_and_a_plan_of_it_is_empty(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    dana = sandbox.api.get("/users", params={"username": "dana"}).json()[0]["id"]
    body = {
        "name": "production",
        "deploy_access_levels": [{"access_level": 40}, {"user_id": dana}],
        "approval_rules": [{"access_level": 40, "required_approvals": 2}],
    }
    assert sandbox.api.post(BILLING, json=body).status_code == 201
    monkeypatch.chdir(tmp_path)
    env = {"PROVISIONER_GITLAB_URL": sandbox.url, "PROVISIONER_TOKEN": sandbox.token}
    imported = CliRunner().invoke(app, ["import", "platform", "--out", "imported.yaml"], env=env)
    assert imported.exit_code == 0, imported.output
    text = Path("imported.yaml").read_text()
    assert "production:" in text and "user: dana" in text and "required: 2" in text
    plan = CliRunner().invoke(app, ["plan", "-i", "imported.yaml", "--detailed-exitcode"], env=env)
    assert plan.exit_code == 0, plan.output
