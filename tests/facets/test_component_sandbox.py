"""Component mode against the sandbox over HTTP: the component project (files, version tag, catalog
project), projects that include it, the demo estate converging, and an upgrade that is one line per
project."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from provisioner.blueprint.component import render_component, template_path
from provisioner.facets import inventory_sections
from provisioner.inventory import load_inventory
from provisioner.inventory.schema import project_model
from provisioner.inventory.spec import ProjectSpec
from tests.facets.sandbox_world import World, applied, converge, pending, problems

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = "platform/ci-components"
REFERENCE = f"$CI_SERVER_FQDN/{COMPONENTS}/python-package"


def spec(path: str, **config: Any) -> ProjectSpec:
    return ProjectSpec(path, project_model(inventory_sections()).model_validate(config))


def component_project(version: str = "1.0.0", **variables: Any) -> ProjectSpec:
    return spec(
        COMPONENTS,
        create=True,
        settings={"description": "The platform's CI/CD components"},
        component={"blueprint": "python-package", "version": version, "blueprint_vars": variables},
    )


def file_text(world: World, project: str, path: str, ref: str = "HEAD") -> str:
    entity = world.get(
        f"/projects/{project.replace('/', '%2F')}/repository/files/{path.replace('/', '%2F')}", ref=ref
    )
    return base64.b64decode(entity["content"]).decode()


def is_catalog_project(world: World, path: str) -> bool:
    import requests

    answer = requests.post(
        f"{world.url}/api/graphql",
        json={
            "query": "query($p: ID!) { project(fullPath: $p) { isCatalogResource } }",
            "variables": {"p": path},
        },
        headers={"PRIVATE-TOKEN": world.token},
        timeout=15,
    ).json()
    return bool(answer["data"]["project"]["isCatalogResource"])


def test_the_component_project_gets_its_files_a_version_tag_and_a_place_in_the_catalog(world: World):
    result = converge(world, [component_project()])
    done = applied(result)
    assert ("create", "file templates/python-package.yml") in done
    assert ("create", "tag 1.0.0") in done and ("create", "CI/CD catalog project") in done
    rendering = render_component("python-package", {}, project=COMPONENTS, version="1.0.0")
    path = template_path("python-package")
    assert file_text(world, COMPONENTS, path, ref="1.0.0") == rendering.file(path).text
    tag = world.get(f"/projects/{COMPONENTS.replace('/', '%2F')}/repository/tags/1.0.0")
    assert tag["message"] == "Version 1.0.0 of the component"
    assert is_catalog_project(world, COMPONENTS)


def test_a_released_version_is_never_moved(world: World):
    converge(world, [component_project()])
    changed = component_project(python_versions=["3.12", "3.13"])  # another rendering, same version
    (problem,) = problems(world.run([changed], "plan"))
    assert problem.startswith("component: tag 1.0.0 already holds another rendering of the component")
    result = converge(world, [component_project("1.1.0", python_versions=["3.12", "3.13"])])
    assert ("create", "tag 1.1.0") in applied(result)
    assert "3.12" in file_text(world, COMPONENTS, template_path("python-package"), ref="1.1.0")


def test_a_project_includes_the_component_and_keeps_what_its_team_adds(world: World):
    converge(world, [component_project()])
    project = spec(
        "platform/billing",
        blueprint="python-package",
        blueprint_component={"project": COMPONENTS, "version": "1.0.0"},
    )
    result = converge(world, [project])
    assert ("create", "file .gitlab-ci.yml") in applied(result)
    assert not {("create", "file ci/release.py"), ("create", "file ci/constraints.txt")} & set(
        applied(result)
    )
    pipeline = file_text(world, "platform/billing", ".gitlab-ci.yml")
    assert (
        f'  - component: {REFERENCE}@1.0.0\n    inputs:\n      signatures_package: "billing-signatures"\n'
        in pipeline
    )

    # The team adds a job and another include below: kept, and the tool's entry is still its own.
    team = (
        pipeline.replace("include:\n", "include:\n  - local: ci/extra.yml\n")
        + "lint:\n  script: [ruff check]\n"
    )
    world.request(
        "PUT",
        "/projects/platform%2Fbilling/repository/files/.gitlab-ci.yml",
        json={"branch": "main", "content": team, "commit_message": "our lint job"},
    )
    world.reset_counters()
    assert pending(world.run([project], "plan")) == []
    world.run([project], "apply")
    assert world.writes() == 0
    assert file_text(world, "platform/billing", ".gitlab-ci.yml") == team


def component_estate(folder: Path, component_version: str, pinned: str, **variables: Any) -> list[Any]:
    """The demo inventory (inventory.yaml) in component mode: every project includes the component of
    the platform team's new project platform/ci-components, which the same inventory keeps."""
    shutil.copytree(ROOT / "demo", folder / "demo", dirs_exist_ok=True)
    document = YAML(typ="safe").load((ROOT / "inventory.yaml").read_text())
    document["defaults"]["blueprint_component"] = {"project": COMPONENTS, "version": pinned}
    document["projects"][COMPONENTS] = {
        "create": True,
        "blueprint": None,  # the defaults give every project python-package: not this one
        "settings": {"description": "The platform's CI/CD components"},
        "component": {
            "blueprint": "python-package",
            "version": component_version,
            "blueprint_vars": variables,
        },
    }
    path = folder / "inventory.yaml"
    with path.open("w") as out:
        YAML().dump(document, out)
    return list(load_inventory(path, sections=inventory_sections()).targets)


def merge_open_merge_requests(world: World) -> None:
    """A maintainer merges what the tool proposed (the team's own pipeline adopted, a protected main)."""
    for project in world.get("/projects"):
        for mr in world.get(f"/projects/{project['id']}/merge_requests", state="opened"):
            where = f"/projects/{project['id']}/merge_requests/{mr['iid']}"
            world.request("PUT", where, json={"title": mr["title"].removeprefix("Draft: ")})
            world.request("PUT", f"{where}/merge")


def consumers(targets: list[Any]) -> list[str]:
    return [t.path for t in targets if isinstance(t, ProjectSpec) and t.path != COMPONENTS]


def test_the_demo_estate_converges_in_component_mode(world: World, tmp_path: Path):
    targets = component_estate(tmp_path, "1.0.0", "1.0.0")
    converge(world, targets)
    merge_open_merge_requests(world)
    converge(world, targets)
    for path in consumers(targets):
        pipeline = file_text(world, path, ".gitlab-ci.yml")
        assert f"  - component: {REFERENCE}@1.0.0\n" in pipeline, path
        assert "pytest" not in pipeline  # the jobs are the component's, not the project's


def test_an_upgrade_is_one_line_per_project_and_check_lists_those_it_has_not_reached(
    world: World, tmp_path: Path
):
    converge(world, component_estate(tmp_path / "v1", "1.0.0", "1.0.0"))
    merge_open_merge_requests(world)
    released = component_estate(tmp_path / "v2", "1.1.0", "1.0.0", python_versions=["3.12", "3.13"])
    converge(world, released)  # the platform team releases 1.1.0; projects still pin 1.0.0

    check = world.run(released, "check")
    notices = {
        p.project: [c.after for c in p.planned if c.target == "component python-package"]
        for p in check.projects
    }
    for path in consumers(released):
        assert notices[path] == [{"pinned": "1.0.0", "newest": "1.1.0", "note": notices[path][0]["note"]}], (
            path
        )

    upgraded = component_estate(tmp_path / "v3", "1.1.0", "1.1.0", python_versions=["3.12", "3.13"])
    plan = world.run(upgraded, "plan")
    lines = {p.project: [(c.action.value, c.target) for c in p.pending] for p in plan.projects}
    for path in consumers(upgraded):
        assert lines[path] == [("update", "file .gitlab-ci.yml")], (path, lines[path])
    diff = next(c.detail for p in plan.projects for c in p.pending if p.project == "platform/billing")
    assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        f"-  - component: {REFERENCE}@1.0.0",
        f"+  - component: {REFERENCE}@1.1.0",
    ]
    converge(world, upgraded)
