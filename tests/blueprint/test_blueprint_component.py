"""Component mode's renderings (provisioner/blueprint/component.py): the component is valid for
GitLab, its inputs are what differs between projects, it carries the files its jobs use, and a
project's rendering includes it instead of holding the pipeline."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from provisioner.blueprint import load_blueprint, problem_in, render
from provisioner.blueprint.component import (
    ComponentRef,
    include_rendering,
    render_component,
    template_path,
    version_key,
)
from provisioner.errors import InputError
from tests.blueprint.pipelines import KEY_SIGNING, PUBLIC_KEY, jobs

PROJECT = "platform/ci-components"
VARIANTS = [
    {},
    {"signing": "key"},
    {"signing": "keyless", "sigstore_instance_url": "https://tuf.example.internal"},
    {"signing": "off", "publish_to": ["pypi"]},
    {"publish_to": ["gitlab", "pypi"], "runner_tags": ["docker"]},
]


def component(variables: dict | None = None, version: str = "1.0.0") -> str:
    rendering = render_component("python-package", variables or {}, project=PROJECT, version=version)
    return rendering.file(template_path("python-package")).text


def documents(text: str) -> list:
    return list(YAML(typ="safe").load_all(text.replace("!reference", "")))


@pytest.mark.parametrize("variables", VARIANTS, ids=str)
def test_every_file_of_the_component_project_is_valid_for_gitlab(variables):
    """The component's header and its jobs, the README, the project's own release pipeline: GitLab's
    CI schema (the pipeline editor's) accepts each document."""
    rendering = render_component("python-package", variables, project=PROJECT, version="1.0.0")
    assert [f.path for f in rendering.files] == [
        template_path("python-package"),
        "README.md",
        ".gitlab-ci.yml",
    ]
    for rendered in rendering.files:
        assert problem_in(rendered.path, rendered.text) is None, rendered.path
    assert problem_in(
        template_path("x"), "spec:\n  inputs:\n    a: {type: nonsense}\n---\nj: {script: [x]}\n"
    )


def test_the_inputs_are_what_differs_between_projects():
    header, body = documents(component({"signing": "key"}))
    assert header == {
        "spec": {
            "inputs": {
                "registry_project": {
                    "description": header["spec"]["inputs"]["registry_project"]["description"],
                    "default": "${CI_PROJECT_ID}",
                    "regex": r"^\S+$",
                },
                "signatures_package": {  # derived from each project's name: no default, required
                    "description": "Name of the generic package that holds the signatures.",
                    "regex": "^[A-Za-z0-9._+-]+$",
                },
                "signing_public_key": {
                    "description": header["spec"]["inputs"]["signing_public_key"]["description"],
                    "default": "",
                    "regex": header["spec"]["inputs"]["signing_public_key"]["regex"],
                },
            }
        }
    }
    assert body["variables"]["REGISTRY_PROJECT"] == "$[[ inputs.registry_project ]]"
    assert body["variables"]["SIGNATURES_PACKAGE"] == "$[[ inputs.signatures_package ]]"
    assert body["variables"]["SIGNING_PUBLIC_KEY"] == "$[[ inputs.signing_public_key ]]"


def test_with_a_projects_inputs_it_runs_the_jobs_the_inline_pipeline_runs():
    """GitLab fills in the inputs when a pipeline starts: the jobs are then the inline pipeline's."""
    inputs = {
        "registry_project": "${CI_PROJECT_ID}",
        "signatures_package": "demo_pkg-signatures",
        "signing_public_key": PUBLIC_KEY,
    }
    body = component({"signing": "key"}).split("\n---\n", 1)[1]
    for name, value in inputs.items():
        body = body.replace(f'"$[[ inputs.{name} ]]"', json.dumps(value))  # JSON is YAML
    interpolated = documents(body)[0]
    inline = YAML(typ="safe").load(
        render("python-package", KEY_SIGNING, project_path="platform/demo-pkg")
        .file(".gitlab-ci.yml")
        .text.replace("!reference", "")
    )
    assert sorted(jobs(interpolated)) == sorted(jobs(inline))
    assert interpolated["variables"] == inline["variables"]
    assert interpolated["stages"] == inline["stages"]


def test_the_component_carries_the_files_its_jobs_use(tmp_path: Path):
    """.ci-files writes ci/constraints.txt and ci/release.py into the job's checkout, byte for byte the
    blueprint's: a project needs nothing but the include."""
    config = documents(component())[1]
    script = "set -e\n" + "\n".join(config[".ci-files"]["script"]) + "\n"
    subprocess.run(["sh", "-c", script], cwd=tmp_path, check=True)
    inline = render("python-package", {}, project_path="platform/demo-pkg")
    for path in ("ci/constraints.txt", "ci/release.py"):
        assert (tmp_path / path).read_text() == inline.file(path).text, path
    assert config[".python"]["before_script"][0] == [".ci-files", "script"]  # !reference, read as a list


def test_the_components_readme_shows_how_to_include_it_and_its_choices():
    readme = (
        render_component("python-package", {"signing": "off"}, project=PROJECT, version="2.1.0")
        .file("README.md")
        .text
    )
    assert (
        f"  - component: $CI_SERVER_FQDN/{PROJECT}/python-package@2.1.0\n    inputs:\n      signatures_package: ..."
        in readme
    )
    assert '| `signing` | `"off"` |' in readme
    assert "distribution_name" not in readme  # the pipeline does not read it: not a choice of the component


def test_an_input_given_to_the_component_project_is_refused():
    with pytest.raises(InputError) as refused:
        render_component("python-package", {"signatures_package": "x"}, project=PROJECT, version="1.0.0")
    assert "an input of the component: each project gives it" in str(refused.value)


def test_a_template_that_judges_an_input_is_a_broken_blueprint(tmp_path: Path):
    root = tmp_path / "catalogue"
    (root / "tiny" / "templates").mkdir(parents=True)
    (root / "tiny" / "templates" / "ci.j2").write_text("{% if target %}job: {script: [x]}{% endif %}\n")
    (root / "tiny" / "blueprint.yaml").write_text(
        "name: tiny\nversion: 1.0.0\ndescription: A tiny one.\n"
        "variables: {target: {type: str, description: Where., default: ''}}\n"
        "component: {pipeline: .gitlab-ci.yml, inputs: [target]}\n"
        "files: [{path: .gitlab-ci.yml, template: ci.j2, policy: managed}]\n"
    )
    with pytest.raises(InputError, match="the component input target is used in a condition"):
        render_component("tiny", {}, project=PROJECT, version="1.0.0", root=root)


@pytest.mark.parametrize(
    ("component", "message"),
    [
        ("{pipeline: ci.yml}", "'ci.yml' is not a file this blueprint renders whole"),
        ("{pipeline: .gitlab-ci.yml, inputs: [nope]}", "'nope' is not a variable of this blueprint"),
    ],
)
def test_the_manifests_component_names_what_exists(tmp_path: Path, component: str, message: str):
    root = tmp_path / "catalogue"
    (root / "tiny" / "templates").mkdir(parents=True)
    (root / "tiny" / "templates" / "ci.j2").write_text("job: {script: [x]}\n")
    (root / "tiny" / "blueprint.yaml").write_text(
        f"name: tiny\nversion: 1.0.0\ndescription: A tiny one.\ncomponent: {component}\n"
        "files: [{path: .gitlab-ci.yml, template: ci.j2, policy: managed}]\n"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        load_blueprint("tiny", root)


def test_a_project_in_component_mode_includes_it_with_its_inputs():
    inline = render("python-package", {"registry_project": "42"}, project_path="platform/billing")
    rendering = include_rendering(inline, ComponentRef(PROJECT, "python-package", "1.2.0"))
    assert [f.path for f in rendering.files] == [p for p in inline.paths if not p.startswith("ci/")]
    pipeline = rendering.file(".gitlab-ci.yml")
    assert pipeline.policy == "include"
    assert pipeline.text.endswith(
        f"include:\n  - component: $CI_SERVER_FQDN/{PROJECT}/python-package@1.2.0\n    inputs:\n"
        '      registry_project: "42"\n      signatures_package: "billing-signatures"\n'
    )  # only what differs from the inputs' defaults, and what has none


def test_versions_sort_as_semantic_versions():
    assert sorted(["1.10.0", "1.2.0", "1.2.0-rc1", "2.0.0"], key=version_key) == [
        "1.2.0-rc1",
        "1.2.0",
        "1.10.0",
        "2.0.0",
    ]
    assert version_key("v1.0.0") is None and version_key("1.0") is None
