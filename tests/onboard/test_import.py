"""`provisioner import` then `provisioner plan` (the real command line, over HTTP): nothing to change.

On the demo world and on 200 projects that differ in every way import reproduces. No masked or hidden
value is ever written: not to the file, the output, nor the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from provisioner.sandbox import SandboxServer
from provisioner.sandbox.seed import RITA_TOKEN
from tests.onboard.conftest import Cli, World, leftovers, make_cli
from tests.onboard.varied_seed import SHARED_MASKED_VALUE
from tests.support import PYTHON_PACKAGE

DEMO_SECRETS = ("rk_4f9a8b7c6d5e", "Pg-sandbox-2025-x9")  # data/reports: masked, hidden


def plan_json(cli: Cli, inventory: Path) -> dict[str, Any]:
    result = cli("plan", "-i", str(inventory), "--format", "json", "--detailed-exitcode")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return dict(json.loads(result.stdout))


def assert_nothing_to_do(report: dict[str, Any], expected_projects: int, notices: Iterable[str] = ()) -> None:
    """No change, no problem; notices (things plan reports but never changes) only where expected."""
    busy = [
        {k: p[k] for k in ("project", "changes", "unmanaged", "problems")}
        for p in report["projects"]
        if p["changes"] or p["problems"] or (p["unmanaged"] and p["project"] not in set(notices))
    ]
    assert busy == []
    assert sum(1 for p in report["projects"] if not p["project"].startswith("group ")) == expected_projects


def assert_absent(secrets: Iterable[str], *texts: str) -> None:
    for secret in secrets:
        for text in texts:
            assert secret not in text


def masked_values(server: SandboxServer) -> list[str]:
    state = server.state
    found = [v.value for p in state.projects.values() for v in p.variables if v.masked or v.hidden]
    found += [v.value for g in state.namespaces.values() for v in g.variables if v.masked or v.hidden]
    return found


@pytest.mark.parametrize("group", ["platform", "data"])
def test_import_then_plan_is_empty_on_the_demo(cli: Cli, world: World, group: str) -> None:
    out = cli.cwd / f"{group}.yaml"

    imported = cli("import", group, "--out", str(out))

    assert imported.returncode == 0, imported.stderr
    count = sum(1 for p in world.server.state.projects.values() if p.path and group in _path(world, p))
    assert_nothing_to_do(plan_json(cli, out), count)
    text = out.read_text()
    assert_absent(DEMO_SECRETS, text, imported.stdout, imported.stderr, cli.log_file.read_text())
    assert leftovers(cli.cwd) == []


def _path(world: World, project: Any) -> str:
    return str(world.server.state.project_full_path(project))


def test_the_demo_import_says_what_is_left_to_the_user(cli: Cli) -> None:
    imported = cli("import", "data")

    assert imported.returncode == 0, imported.stderr
    data = YAML(typ="safe", pure=True).load(imported.stdout)
    reports = data["projects"]["data/reports"]["variables"]
    assert reports["REPORTS_API_KEY"] == {"value_unmanaged": True, "masked": True}
    assert reports["DB_PASSWORD"] == {"value_unmanaged": True, "masked": True, "hidden": True}
    assert reports["DEPLOY_TARGET"] == [
        {"value": "prod-cluster", "environment_scope": "production"},
        {"value": "staging-cluster", "environment_scope": "staging"},
    ]
    marked = [line for line in imported.stdout.splitlines() if "{value_unmanaged: true" in line]
    assert len(marked) == 2 and all("replace value_unmanaged: true with secret:" in line for line in marked)
    assert data["groups"]["data"]["group_variables"] == {"DATA_LAKE_URL": "s3://lake/raw"}
    assert data["projects"]["data/warehouse"]["runners"]["assign"] == [{"id": 4}]
    assert 'runner "warehouse-shell"' in imported.stdout
    assert (
        "2 variables imported without a value (masked, hidden, or a schedule's: value_unmanaged: true)"
        in imported.stderr
    )


def test_import_then_plan_is_empty_on_200_varied_projects(tmp_path: Path, varied_world: World) -> None:
    world = varied_world
    cli = make_cli(tmp_path, world)
    out = cli.cwd / "estate.yaml"

    imported = cli("import", "estate", "--out", str(out))

    assert imported.returncode == 0, imported.stderr[-4000:]
    assert "imported 200 projects from 8 groups" in imported.stderr
    # Several active deploy tokens with one name cannot all be named in the inventory: import says
    # so, and plan reports the older ones (a notice, never a change).
    duplicates = _duplicate_token_names(world.server)
    assert imported.stderr.count("several active tokens are named") == len(duplicates) > 0
    report = plan_json(cli, out)
    assert_nothing_to_do(report, 200, notices=duplicates)
    noticed = [p["project"] for p in report["projects"] if p["unmanaged"]]
    assert sorted(noticed) == sorted(duplicates)
    secrets = masked_values(world.server)
    assert SHARED_MASKED_VALUE in secrets and len(secrets) > 40
    text = out.read_text()
    assert_absent(secrets, text, imported.stdout, imported.stderr, cli.log_file.read_text())

    data = YAML(typ="safe", pure=True).load(text)
    # What projects share was factored out, and each project still says where it differs.
    assert data["defaults"]["settings"]["build_timeout"] == 3600
    assert any(p.get("settings", {}).get("build_timeout") == 7200 for p in data["projects"].values())
    team_2 = data["groups"]["estate/team-2"]["variables"]
    assert team_2["REGISTRY_TOKEN"] == {"value_unmanaged": True, "masked": True, "protected": True}
    without_value = [v for v in _variables(data) if isinstance(v, dict) and "value" not in v]
    assert len(without_value) > 40
    assert all(v.get("value_unmanaged") and v.get("masked") for v in without_value)


def _duplicate_token_names(server: SandboxServer) -> list[str]:
    state = server.state
    names: dict[int, list[str]] = {}
    for token in state.deploy_tokens.values():
        if token.project_id is not None and not token.revoked:
            names.setdefault(token.project_id, []).append(token.name)
    return [
        state.project_full_path(state.projects[pid])
        for pid, found in names.items()
        if len(found) != len(set(found))
    ]


def _variables(data: dict[str, Any]) -> list[Any]:
    layers = [data.get("defaults", {}), *data.get("groups", {}).values(), *data["projects"].values()]
    found: list[Any] = []
    for layer in layers:
        for section in ("variables", "group_variables"):
            for entry in ((layer or {}).get(section) or {}).values():
                found += entry if isinstance(entry, list) else [entry]  # None: a removal
    return found


def test_import_refuses_to_overwrite_a_file_unless_forced(cli: Cli) -> None:
    out = cli.cwd / "inventory.yaml"
    out.write_text("# mine\n")

    refused = cli("import", "data", "--out", str(out))
    forced = cli("import", "data", "--out", str(out), "--force")

    assert refused.returncode == 1 and "--force" in refused.stderr
    assert forced.returncode == 0
    assert out.read_text().startswith("# Imported by `provisioner import data`")


def test_an_unknown_group_is_an_error(cli: Cli) -> None:
    result = cli("import", "nowhere")

    assert result.returncode == 1
    assert "group nowhere not found" in result.stderr


def test_what_a_token_cannot_read_is_left_out_and_said(tmp_path: Path, world: World) -> None:
    cli = make_cli(tmp_path, world, token=RITA_TOKEN)  # Reporter in data, read_api only

    result = cli("import", "data")

    assert result.returncode == 1  # a partial import is not a success
    said = "the token has the Reporter role here; managing a project needs Maintainer"
    assert result.stderr.count(said) == 1  # said once, for every project it concerns
    assert "note: data/ingest, data/legacy-etl, data/ml-pipeline and 2 more: not read:" in result.stderr
    assert "group_variables: not read" in result.stderr
    data = YAML(typ="safe", pure=True).load(result.stdout)
    assert set(data["projects"]) == {
        f"data/{p}" for p in ("ingest", "legacy-etl", "ml-pipeline", "reports", "warehouse")
    }
    assert result.stdout.count(said) == 5  # as a comment above each project
    assert not any("variables" in (entry or {}) for entry in data["projects"].values())


def test_a_scaffolded_project_is_imported_with_its_blueprint(cli: Cli, world: World) -> None:
    args = ["--blueprint", "python-package", "--var", "python_versions=['3.12']", "-i", "boot.yaml"]
    assert cli("bootstrap", "platform/newlib", *args).returncode == 0
    out = cli.cwd / "platform.yaml"

    imported = cli("import", "platform", "--out", str(out))

    assert imported.returncode == 0, imported.stderr
    entry = YAML(typ="safe", pure=True).load(out.read_text())["projects"]["platform/newlib"]
    assert (entry["blueprint"], entry["blueprint_vars"]) == ("python-package", {"python_versions": ["3.12"]})
    assert_nothing_to_do(plan_json(cli, out), 6)


def test_a_blueprint_that_would_change_files_is_left_out_with_a_note(cli: Cli, world: World) -> None:
    args = ["--blueprint", "python-package", "-i", "boot.yaml"]
    assert cli("bootstrap", "platform/newlib", *args).returncode == 0
    removed = world.api(  # the team removes a managed file: naming the blueprint would bring it back
        "DELETE",
        "/projects/platform%2Fnewlib/repository/files/.gitlab-ci.yml",
        json={"branch": "main", "commit_message": "we use another CI"},
    )
    assert removed.status_code == 204, removed.text
    out = cli.cwd / "platform.yaml"

    imported = cli("import", "platform", "--out", str(out))

    assert imported.returncode == 0, imported.stderr
    assert (
        f"blueprint {PYTHON_PACKAGE} (from .provisioner-lock.yaml): left out, because with it the next "
        "apply would change 1 file" in imported.stderr
    )
    assert "blueprint" not in YAML(typ="safe", pure=True).load(out.read_text())["projects"]["platform/newlib"]
    assert_nothing_to_do(plan_json(cli, out), 6)
