"""Runner and deploy tokens: stored the moment they arrive, never shown, never two for one lost answer."""

from __future__ import annotations

import json
import logging

import keyring
import pytest
import requests

from provisioner.gitlab.once import ATTEMPTS
from provisioner.inventory.schema import DeployToken, ProjectRunner, Registry, Runners, TokenStore
from provisioner.model import RunResult
from provisioner.report import json_report, junit, text
from tests.facets.sandbox_world import World, converge, pending, problems, spec

AUTH = "platform/auth-service"


def runners_named(world: World, path: str, description: str) -> list[dict]:
    pid = world.project_id(path)
    listed = world.get(f"/projects/{pid}/runners", type="project_type")
    return [r for r in listed if r["description"] == description]


def active_named(world: World, path: str, name: str) -> list[dict]:
    listed = world.get(f"/projects/{world.project_id(path)}/deploy_tokens", active="true")
    return [t for t in listed if t["name"] == name]


def verifies(world: World, token: str | None) -> bool:
    if not token:
        return False
    answer = requests.post(f"{world.url}/api/v4/runners/verify", json={"token": token}, timeout=15)
    return answer.status_code == 200


def deploy_secret(world: World, token_id: int) -> str:
    """GitLab shows a deploy token once; the simulator still knows it, to prove the stored one works."""
    return str(world.server.state.deploy_tokens[token_id].secret)


def everything_shown(
    result: RunResult, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> dict[str, str]:
    """Every way a run can reach a person or a file, raw (before the reports' last-defence scrubbing)."""
    changes = [c.public() for p in result.projects for c in (*p.planned, *p.applied, *p.remaining)]
    captured = capsys.readouterr()
    return {
        "result": repr(result),
        "changes": json.dumps(changes, default=str),
        "problems": repr([p for r in result.projects for p in r.problems]),
        "logs": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "stdout+stderr": captured.out + captured.err,
        "text report": text.render(result),
        "json report": json_report.render(result),
        "junit report": junit.render(result),
    }


def test_tokens_are_stored_and_never_appear_in_any_output(world: World, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, python-gitlab and urllib3 included
    config = spec(
        AUTH,
        runners=Runners(
            create=[
                ProjectRunner(description="r-keyring"),
                ProjectRunner(description="r-file", token=TokenStore(file="r.token")),
            ]
        ),
        registry=Registry(
            deploy_tokens=[
                DeployToken(name="registry-read", scopes=["read_registry", "write_registry"]),  # replaced
                DeployToken(name="d-file", scopes=["read_repository"], token=TokenStore(file="d.token")),
            ]
        ),
    )
    result = world.run([config], "apply", rotate=True)
    assert problems(result) == []
    runner_tokens = [
        keyring.get_password("provisioner-runner", f"{AUTH}/r-keyring"),
        (world.inventory_dir / "r.token").read_text().strip(),
    ]
    assert all(verifies(world, t) for t in runner_tokens)
    (replaced,) = active_named(world, AUTH, "registry-read")
    (in_file,) = active_named(world, AUTH, "d-file")
    deploy_tokens = [
        keyring.get_password("provisioner-deploy-token", f"{AUTH}/registry-read"),
        (world.inventory_dir / "d.token").read_text().strip(),
    ]
    assert deploy_tokens == [deploy_secret(world, replaced["id"]), deploy_secret(world, in_file["id"])]

    shown = everything_shown(result, caplog, capsys)
    assert "glrt-" not in shown["changes"] and "keyring provisioner-runner/" in shown["changes"]
    for secret in runner_tokens + deploy_tokens:
        leaks = [where for where, content in shown.items() if secret in content]
        assert leaks == [], f"a token appears in: {leaks}"


def test_a_token_store_that_cannot_be_written_stops_the_create_before_it_happens(world: World, caplog):
    caplog.set_level(logging.DEBUG)
    (world.inventory_dir / "taken").write_text("a file where a directory should be\n")
    blocked = Runners(create=[ProjectRunner(description="r", token=TokenStore(file="taken/r.token"))])
    world.reset_counters()
    result = world.run([spec(AUTH, runners=blocked)], "apply")
    (problem,) = problems(result)
    assert problem.startswith('runners: runner "r": its token could not be stored (')
    assert problem.endswith("nothing was created")
    assert world.counters()["by_route"].get("POST /api/v4/user/runners", 0) == 0
    assert runners_named(world, AUTH, "r") == []
    assert "glrt-" not in problem and "glrt-" not in caplog.text

    fixed = Runners(create=[ProjectRunner(description="r", token=TokenStore(file="r.token"))])
    converge(world, [spec(AUTH, runners=fixed)])
    assert len(runners_named(world, AUTH, "r")) == 1
    assert verifies(world, (world.inventory_dir / "r.token").read_text().strip())


@pytest.mark.parametrize(("kind", "creates", "resets"), [("drop_after", 1, 1), ("drop_before", 2, 0)])
def test_lost_answer_to_a_runner_create_leaves_one_runner_with_a_working_token(
    world: World, kind: str, creates: int, resets: int
):
    """drop_after: GitLab created the runner but the answer was lost, so its token is reset (never a
    second runner); drop_before: nothing was created, so it is created once more."""
    world.faults({"route": "POST /api/v4/user/runners", "kind": kind, "times": 1})
    world.reset_counters()
    config = spec(AUTH, runners=Runners(create=[ProjectRunner(description="ci", tags=["py"])]))
    first = world.run([config], "apply")
    assert problems(first) == []
    routes = world.counters()["by_route"]
    assert routes.get("POST /api/v4/user/runners") == creates
    assert routes.get("POST /api/v4/runners/:id/reset_authentication_token", 0) == resets
    converge(world, [config])
    assert len(runners_named(world, AUTH, "ci")) == 1
    assert verifies(world, keyring.get_password("provisioner-runner", f"{AUTH}/ci"))


def test_lost_answer_to_a_deploy_token_create_leaves_one_active_token_that_is_stored(world: World):
    world.faults({"route": "POST /api/v4/projects/:id/deploy_tokens", "kind": "drop_after", "times": 1})
    world.reset_counters()
    config = spec(AUTH, registry=Registry(deploy_tokens=[DeployToken(name="ci", scopes=["read_registry"])]))
    first = world.run([config], "apply")
    assert problems(first) == []
    routes = world.counters()["by_route"]
    # the lost one was created, found, revoked (its secret never reached us), then created again
    assert routes["POST /api/v4/projects/:id/deploy_tokens"] == 2
    assert routes["DELETE /api/v4/projects/:id/deploy_tokens/:token_id"] == 1
    converge(world, [config])
    (token,) = active_named(world, AUTH, "ci")
    assert keyring.get_password("provisioner-deploy-token", f"{AUTH}/ci") == deploy_secret(world, token["id"])


def test_a_create_that_fails_every_attempt_is_one_problem_and_the_rerun_leaves_exactly_one(world: World):
    route = "POST /api/v4/projects/:id/deploy_tokens"
    world.faults({"route": route, "kind": "drop_after", "times": ATTEMPTS})
    config = spec(AUTH, registry=Registry(deploy_tokens=[DeployToken(name="ci", scopes=["read_registry"])]))
    first = world.run([config], "apply")
    (problem,) = problems(first)
    assert problem.startswith("registry: POST /projects/") and "no answer" in problem
    assert active_named(world, AUTH, "ci") == []  # both lost tokens were revoked: nobody holds them

    converge(world, [config])
    (token,) = active_named(world, AUTH, "ci")
    assert keyring.get_password("provisioner-deploy-token", f"{AUTH}/ci") == deploy_secret(world, token["id"])
    assert pending(world.run([config], "plan")) == []
