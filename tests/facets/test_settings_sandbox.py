"""The settings facet against the sandbox over HTTP: convergence, permissions, what does not stick."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from provisioner.inventory.schema import Project, Settings
from provisioner.inventory.spec import ProjectSpec, ResolvedVariable
from provisioner.sandbox.seed import DANA_TOKEN
from tests.facets.sandbox_world import World, applied, converge, spec
from tests.support import run_cli

BILLING = "platform/billing"
MAINTAINER = 40


def project(world: World, path: str = BILLING) -> dict[str, Any]:
    return world.get(f"/projects/{path.replace('/', '%2F')}")


def test_pipeline_variable_rules_and_id_token_claims_converge(world: World):
    """Both are ✗ on create and shown to Maintainers only (REFERENCE 2.1): written with PUT, read back."""
    before = project(world)
    assert (before["restrict_user_defined_variables"], before["ci_id_token_sub_claim_components"]) == (
        True,
        ["project_path", "ref_type", "ref"],
    )
    settings = Settings(
        restrict_user_defined_variables=False,
        ci_pipeline_variables_minimum_override_role="maintainer",
        ci_id_token_sub_claim_components=["project_path", "ref"],
    )
    result = converge(world, [spec(BILLING, settings=settings)])
    assert applied(result) == [("update", "project settings")]
    after = project(world)
    assert (
        after["restrict_user_defined_variables"],
        after["ci_pipeline_variables_minimum_override_role"],
        after["ci_id_token_sub_claim_components"],
    ) == (False, "maintainer", ["project_path", "ref"])


def test_a_developer_gets_the_role_said_once_for_settings_and_variables(world: World):
    """Settings GitLab shows to everyone can be planned, but PUT /projects/:id needs Maintainer: the
    project is skipped before any write, the role said once for every facet that needs more."""
    world.reset_counters()
    wanted = ProjectSpec(
        path=BILLING,
        config=Project(settings=Settings(merge_method="ff")),
        variables=(ResolvedVariable("PIP_INDEX_URL", "https://pypi.example/simple"),),
    )
    (result,) = world.run([wanted], "apply", token=DANA_TOKEN).projects
    role = "skipped, nothing written: the token has the Developer role here"
    assert [(p.facet, p.kind, p.message) for p in result.problems] == [
        (None, "permission", f"{role}; settings, variables need Maintainer or higher")
    ]
    assert world.writes() == 0
    assert project(world)["merge_method"] == "merge"


def cli(world: World, workdir: Path, token: str, *args: str):
    env = {
        "PROVISIONER_GITLAB_URL": world.url,
        "PROVISIONER_TOKEN": token,
        "PROVISIONER_LOG_FILE": str(workdir / "provisioner.log"),
        "PROVISIONER_CONFIG": str(workdir / "no-config.toml"),
        "HOME": str(workdir / "home"),
    }
    return run_cli(*args, env=env, cwd=workdir)


def problem_lines(stdout: str, path: str) -> list[str]:
    block = next((b for b in stdout.split("\n\n") if b.startswith(path + "\n")), "")
    return [line.strip() for line in block.splitlines() if line.lstrip().startswith("!")]


def test_an_attribute_gitlab_drops_is_reported_as_not_sticking_on_every_apply(world: World, tmp_path: Path):
    """DESIGN.md trap, end to end: GitLab lets only administrators change max_artifacts_size and drops
    it from a Maintainer's PUT without an error (Projects::UpdateService#remove_unallowed_params).
    Apply reads back, reports it as an error naming the attribute, and never claims it is done."""
    token = world.user_with_token("mona", ["api"], MAINTAINER, "platform")
    (tmp_path / "inventory.yaml").write_text(
        textwrap.dedent(f"""\
            version: 1
            projects:
              {BILLING}:
                settings: {{build_timeout: 7200, max_artifacts_size: 50}}
            """)
    )
    not_stuck = (
        "! settings: project settings: did not stick after apply (GitLab kept {max_artifacts_size: null})"
    )

    first = cli(world, tmp_path, token, "apply", "--yes")
    assert first.returncode == 1, first.stdout + first.stderr
    assert problem_lines(first.stdout, BILLING) == [not_stuck], first.stdout
    entity = project(world)
    assert (entity["build_timeout"], entity["max_artifacts_size"]) == (7200, None)  # the rest went in

    world.reset_counters()
    second = cli(world, tmp_path, token, "apply", "--yes")
    assert second.returncode == 1, second.stdout + second.stderr
    assert problem_lines(second.stdout, BILLING) == [not_stuck], second.stdout
    assert re.search(r"written +0 changes", second.stdout), second.stdout
    # One PUT of what is still missing, then the read-back: no retrying in a loop.
    assert (world.writes(), world.counters()["by_route"].get("PUT /api/v4/projects/:id")) == (1, 1)

    plan = cli(world, tmp_path, token, "plan", "--detailed-exitcode")
    assert plan.returncode == 2 and "max_artifacts_size: null → 50" in plan.stdout, plan.stdout
    assert "build_timeout" not in plan.stdout


def test_an_administrator_can_change_max_artifacts_size(world: World):
    """The same write sticks for an administrator: what the previous test sees is GitLab's rule."""
    converge(world, [spec(BILLING, settings=Settings(max_artifacts_size=50))])
    assert project(world)["max_artifacts_size"] == 50
