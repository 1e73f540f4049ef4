"""`provisioner bootstrap` (the real command line, over HTTP to the sandbox).

A missing project converges in one run, including the settings POST /projects ignores; the project is
added to the inventory with its comments and order intact; a second run makes zero writes and leaves
the file as it was. Nothing is sent to GitLab before everything is validated, and the inventory is
written only after a successful apply.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from provisioner.cli.bootstrap_cmds import choose_blueprint
from provisioner.errors import InputError
from provisioner.onboard.bootstrap import parse_vars
from provisioner.sandbox.seed import RITA_TOKEN
from tests.onboard.conftest import Cli, World, leftovers, make_cli
from tests.onboard.test_inventory_edit import inserted
from tests.support import PYTHON_PACKAGE

INVENTORY = """\
# Team inventory: kept by hand. Keep the comments.
version: 1

defaults:
    settings:
        build_timeout: 1800          # half an hour
        ci_default_git_depth: 5      # POST /projects ignores this one
        keep_latest_artifact: false  # and this one
        merge_method: ff
    variables:
        PIP_INDEX_URL: https://pypi.example/simple
        DEPLOY_KEY: {secret: "env:DEPLOY_KEY", masked: true}
    registry:
        cleanup_policy: {enabled: true, cadence: 7d, keep_n: 5}
        job_token_scope: {enabled: true}
    protection:
        default_branch: {push_access_level: maintainer, merge_access_level: developer}
        tags: {"v*": {create_access_level: maintainer}}

projects:
    # billing: the oldest service
    platform/billing:
        settings: {build_timeout: 600}
        variables:
            LEGACY_FLAG: "1"
            PIP_INDEX_URL: https://pypi.org/simple
            DEPLOY_KEY: null
    # zz: keep this one last
    zz/last: {}
"""
DEPLOY_KEY = "deploy-key-0123456789"


@pytest.fixture
def team(cli: Cli) -> Cli:
    (cli.cwd / "inventory.yaml").write_text(INVENTORY)
    cli.env["DEPLOY_KEY"] = DEPLOY_KEY
    return cli


def test_a_missing_project_converges_in_one_run_and_the_second_run_writes_nothing(
    team: Cli, world: World
) -> None:
    inventory = team.cwd / "inventory.yaml"

    first = team("bootstrap", "teams/web/shop", "--create-groups")

    assert first.returncode == 0, first.stdout + first.stderr
    assert "created group teams\ncreated group teams/web\n" in first.stderr
    assert "added teams/web/shop to inventory.yaml" in first.stderr
    project = world.get("/projects/teams%2Fweb%2Fshop")
    assert (project["build_timeout"], project["merge_method"]) == (1800, "ff")
    assert (project["ci_default_git_depth"], project["keep_latest_artifact"]) == (
        5,
        False,
    )  # the follow-up PUT
    assert project["container_expiration_policy"]["cadence"] == "7d"
    variables = {v["key"]: v for v in world.get(f"/projects/{project['id']}/variables")}
    assert variables["PIP_INDEX_URL"]["value"] == "https://pypi.example/simple"
    assert variables["DEPLOY_KEY"]["masked"] is True
    assert [b["name"] for b in world.get(f"/projects/{project['id']}/protected_branches")] == ["main"]
    assert [t["name"] for t in world.get(f"/projects/{project['id']}/protected_tags")] == ["v*"]
    edited = inventory.read_text()
    assert inserted(INVENTORY, edited) == ["    teams/web/shop: {create: true}"]
    assert edited.index("teams/web/shop") < edited.index("# zz: keep this one last")
    plan = team("plan", "--project", "teams/web/shop", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr

    world.reset_counters()
    second = team("bootstrap", "teams/web/shop", "--create-groups")

    assert second.returncode == 0, second.stdout + second.stderr
    assert world.counters()["writes"] == 0
    assert inventory.read_text() == edited
    assert "already has teams/web/shop; not changed" in second.stderr
    assert leftovers(team.cwd) == []
    for output in (first, second, plan):
        assert DEPLOY_KEY not in output.stdout + output.stderr
    assert DEPLOY_KEY not in team.log_file.read_text()


def test_outside_an_inventory_the_default_blueprint_does_the_whole_job(cli: Cli, world: World) -> None:
    """No inventory yet: python-package, said so, with the protected tags its release jobs need."""
    result = cli("bootstrap", "data/ingest", "--inventory", "new.yaml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "blueprint python-package (the default outside an inventory;" in result.stderr
    assert (cli.cwd / "new.yaml").read_text() == (
        "version: 1\nprojects:\n  data/ingest: {create: true, blueprint: python-package}\n"
    )
    project = world.get("/projects/data%2Fingest")
    assert [t["name"] for t in world.get(f"/projects/{project['id']}/protected_tags")] == ["v*"]
    readme = world.get(f"/projects/{project['id']}/repository/files/README.md", ref="main")
    assert "Tags `v*` are protected" in base64.b64decode(readme["content"]).decode()
    world.reset_counters()
    again = cli("bootstrap", "data/ingest", "--inventory", "new.yaml")
    assert again.returncode == 0 and world.counters()["writes"] == 0


def test_no_blueprint_makes_a_bare_project_and_says_so(cli: Cli, world: World) -> None:
    result = cli("bootstrap", "data/ingest", "--inventory", "new.yaml", "--no-blueprint")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no blueprint (--no-blueprint): the project gets no files" in result.stderr
    assert (cli.cwd / "new.yaml").read_text() == "version: 1\nprojects:\n  data/ingest: {create: true}\n"
    both = cli("bootstrap", "data/ingest", "--blueprint", "python-package", "--no-blueprint")
    assert both.returncode == 1 and "give --blueprint or --no-blueprint, not both" in both.stderr


def test_a_missing_group_is_an_error_without_create_groups(team: Cli, world: World) -> None:
    world.reset_counters()

    result = team("bootstrap", "nowhere/app")

    assert result.returncode == 1
    assert "group nowhere does not exist" in result.stderr and "--create-groups" in result.stderr
    assert world.counters()["writes"] == 0
    assert (team.cwd / "inventory.yaml").read_text() == INVENTORY
    assert leftovers(team.cwd) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blueprint", "no-such-blueprint"], "unknown blueprint"),
        (["--var", "novalue"], "'novalue': expected NAME=VALUE"),
        (["--var", "a=1", "--var", "a=2"], "a is given twice"),
        (["--var", "a=1"], "--var: blueprint_vars without a blueprint: name the blueprint they are for"),
    ],
    ids=["unknown-blueprint", "var-without-value", "var-twice", "var-without-blueprint"],
)
def test_bad_input_is_refused_before_any_request(
    team: Cli, world: World, args: list[str], message: str
) -> None:
    world.reset_counters()

    result = team("bootstrap", "platform/newlib", *args)

    assert result.returncode == 1
    assert message in result.stderr
    assert "nothing was sent to GitLab" in result.stderr
    assert world.counters()["total"] == 0
    assert (team.cwd / "inventory.yaml").read_text() == INVENTORY
    assert leftovers(team.cwd) == []


def test_a_broken_inventory_is_reported_at_its_line_before_any_request(team: Cli, world: World) -> None:
    (team.cwd / "inventory.yaml").write_text(INVENTORY.replace("merge_method: ff", "merge_methd: ff"))
    world.reset_counters()

    result = team("bootstrap", "platform/newlib")

    assert result.returncode == 1
    assert "inventory.yaml:9:9: defaults.settings.merge_methd" in result.stderr
    assert world.counters()["total"] == 0


def test_a_project_already_in_the_inventory_is_not_redefined(team: Cli, world: World) -> None:
    (team.cwd / "inventory.yaml").write_text(
        INVENTORY.replace(
            "zz/last: {}", "zz/last: {blueprint: python-package, blueprint_vars: {distribution_name: last}}"
        )
    )

    result = team("bootstrap", "zz/last", "--var", "distribution_name=other")

    assert result.returncode == 1
    assert (
        "zz/last is already in the inventory with blueprint_vars.distribution_name = 'last', not 'other': "
        "edit it there" in result.stderr
    )


def test_the_inventory_is_not_written_when_the_apply_fails(tmp_path: Path, world: World) -> None:
    cli = make_cli(tmp_path, world, token=RITA_TOKEN)  # read_api: may look, may not create
    (cli.cwd / "inventory.yaml").write_text(INVENTORY)
    cli.env["DEPLOY_KEY"] = DEPLOY_KEY

    result = cli("bootstrap", "data/newthing")

    assert result.returncode == 1
    assert "inventory.yaml was not changed" in result.stderr
    assert (cli.cwd / "inventory.yaml").read_text() == INVENTORY
    assert leftovers(cli.cwd) == []


def test_the_scaffolding_commit_is_part_of_the_one_run(team: Cli, world: World) -> None:
    args = ["platform/newlib", "--blueprint", "python-package", "--var", "python_versions=['3.12', '3.13']"]

    first = team("bootstrap", *args, "--var", "signing=off")

    assert first.returncode == 0, first.stdout + first.stderr
    assert inserted(INVENTORY, (team.cwd / "inventory.yaml").read_text()) == [
        "    platform/newlib:",
        "        create: true",
        "        blueprint: python-package",
        "        blueprint_vars:",
        "            python_versions: ['3.12', '3.13']",
        "            signing: off",
    ]
    project = world.get("/projects/platform%2Fnewlib")
    commits = world.get(f"/projects/{project['id']}/repository/commits")
    assert [c["title"] for c in commits] == [f"Apply blueprint {PYTHON_PACKAGE}"]  # one commit, all files
    for path in (".gitlab-ci.yml", "pyproject.toml", "src/newlib/__init__.py"):
        world.get(f"/projects/{project['id']}/repository/files/{quote(path, safe='')}", ref="main")
    protected = world.get(f"/projects/{project['id']}/protected_branches")
    assert [(b["name"], b["merge_access_levels"][0]["access_level"]) for b in protected] == [("main", 30)]

    world.reset_counters()
    second = team("bootstrap", *args, "--var", "signing=off")

    assert second.returncode == 0, second.stdout + second.stderr
    assert world.counters()["writes"] == 0


def test_blueprint_variables_are_checked_against_the_manifest_before_any_request(
    team: Cli, world: World
) -> None:
    world.reset_counters()

    result = team(
        "bootstrap", "platform/newlib", "--blueprint", "python-package", "--var", "python_versions=3.12"
    )

    assert result.returncode == 1
    assert "--var: python_versions: expected a list of text, got the text '3.12'" in result.stderr
    assert world.counters()["total"] == 0
    assert (team.cwd / "inventory.yaml").read_text() == INVENTORY


@pytest.mark.parametrize(
    ("pair", "value"),
    [
        ("signing=false", False),
        ("retries=3", 3),
        ("python_version=3.10", "3.10"),  # YAML would read the number 3.1
        ("since=2025-01-01", "2025-01-01"),
        ("versions=[3.11, '3.12']", [3.11, "3.12"]),
        ("name=my lib", "my lib"),
        ("empty=", ""),
        ("expr=a=b", "a=b"),
    ],
)
def test_var_values_read_as_yaml_except_numbers_with_a_point_and_dates(pair: str, value: object) -> None:
    name = pair.partition("=")[0]
    assert parse_vars([pair]) == {name: value}


def test_var_problems_are_all_reported() -> None:
    with pytest.raises(InputError) as caught:
        parse_vars(["=x", "novalue", "a=1", "a=2"])
    assert len(caught.value.problems) == 3


def _catalogue(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "blueprint.yaml").write_text(f"name: {name}\n")
    return root


def test_the_default_blueprint_outside_an_inventory_is_python_package_or_a_catalogues_only_one(
    tmp_path: Path,
) -> None:
    team = _catalogue(tmp_path / "team", "java-service")
    assert choose_blueprint(None, False, inventory_exists=False, catalogue=team)[0] == {
        "blueprint": "java-service"
    }
    both = _catalogue(tmp_path / "both", "java-service", "python-package")
    assert choose_blueprint(None, False, inventory_exists=False, catalogue=both)[0] == {
        "blueprint": "python-package"
    }
    several = _catalogue(tmp_path / "several", "go-service", "java-service")
    with pytest.raises(InputError, match="choose one with --blueprint NAME, or --no-blueprint"):
        choose_blueprint(None, False, inventory_exists=False, catalogue=several)
    # an inventory decides as for any project; --no-blueprint removes even an inherited one
    assert choose_blueprint(None, False, inventory_exists=True, catalogue=several) == ({}, None)
    assert choose_blueprint(None, True, inventory_exists=True)[0] == {"blueprint": None}
