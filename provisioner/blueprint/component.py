"""Component mode: a blueprint's pipeline as a GitLab CI/CD component, and each project's short pipeline
that includes it at a pinned version [G:doc/ci/components/_index.md].

- `render_component`: the component project's files. `templates/<name>.yml` is the `spec: inputs:`
  header, `---`, then the blueprint's pipeline rendered with the component project's variables: each of
  the manifest's `component.inputs` is GitLab's `$[[ inputs.NAME ]]` (each project's value, filled in
  by GitLab when a pipeline starts), and the files the pipeline's jobs use (`component.carries`) are
  written by the jobs themselves, so that a version of the component is all a project needs. Besides:
  a README (the catalog shows it) and the project's own pipeline, which releases a version when its tag
  is pushed (and so publishes it to the CI/CD catalog).
- `include_rendering`: a project's rendering in component mode: its pipeline file is the `include:`
  of the component at the pinned version with the project's inputs (policy `include`, see include.py:
  the include is the tool's, the rest of the file the team's), and the carried files are not rendered.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, meta

from provisioner.blueprint.manifest import BLUEPRINTS_DIR, Blueprint, load_blueprint
from provisioner.blueprint.manifest_schema import ComponentDef, FileRule, VariableDef
from provisioner.blueprint.render import (
    Input,
    RenderedFile,
    Rendering,
    render_rule,
    strict_environment,
    template_context,
    template_environment,
)
from provisioner.blueprint.variables import resolve_variables
from provisioner.errors import InputError, InputProblem

SEMVER = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$"
"""The versions the CI/CD catalog takes [G:doc/ci/components/_index.md 'Semantic versioning']."""
RELEASE_IMAGE = "registry.gitlab.com/gitlab-org/release-cli:v0.24.0"
"""Runs the component project's `release` job: release-cli (GitLab 17), with glab for GitLab 18's
`release` script, which falls back to release-cli [G:doc/user/project/releases/release_cli.md]."""
_OWN = Path(__file__).resolve().parent / "component_templates"
_INPUT_TYPES = {"str": "string", "bool": "boolean", "int": "number", "list[str]": "array"}


@dataclass(frozen=True)
class ComponentRef:
    """Where a project's pipeline comes from: the component project, the component's name, the version."""

    project: str
    name: str
    version: str

    @property
    def address(self) -> str:
        """Without the version: how the include names the component on any version."""
        return f"$CI_SERVER_FQDN/{self.project}/{self.name}"

    @property
    def reference(self) -> str:
        return f"{self.address}@{self.version}"


def component_of(blueprint: Blueprint) -> ComponentDef:
    if blueprint.manifest.component is None:
        message = f"blueprint {blueprint.name} has no component section: it cannot be used in component mode"
        raise InputError([InputProblem(str(blueprint.manifest_path), 0, 0, "component", message)])
    return blueprint.manifest.component


def template_path(name: str) -> str:
    """GitLab's place for a component: templates/<name>.yml [G:doc/ci/components/_index.md]."""
    return f"templates/{name}.yml"


# -- the component project ------------------------------------------------------------------------
def render_component(
    name: str,
    variables: Mapping[str, Any],
    *,
    project: str,
    version: str,
    release_image: str = RELEASE_IMAGE,
    source: str = "component.blueprint_vars",
    root: Path = BLUEPRINTS_DIR,
) -> Rendering:
    """The component project's files for `version`, the blueprint rendered with `variables` (the
    component project's choices). Raises InputError for bad variables or a template that uses an input
    as anything but a value."""
    blueprint = load_blueprint(name, root)
    definition = component_of(blueprint)
    resolution = resolve_variables(blueprint, variables, inputs=definition.inputs)
    if resolution.problems:
        raise InputError([InputProblem(source, 0, 0, f, m) for f, m in resolution.problems])
    values = {**resolution.values, **{n: Input(n) for n in definition.inputs}}
    rules = {rule.path: rule for rule in blueprint.manifest.files}
    plain = template_context(blueprint, values)
    carried = {path: render_rule(blueprint, rules[path], plain)[1] for path in definition.carries}
    context = template_context(blueprint, values, component={"version": version, "carried": carried})
    body = render_rule(blueprint, rules[definition.pipeline], context)[1]
    inputs = [_input(n, blueprint.manifest.variables[n]) for n in definition.inputs]
    own = {
        "name": name,
        "project": project,
        "version": version,
        "blueprint": blueprint.name,
        "blueprint_version": blueprint.version,
        "description": blueprint.manifest.description,
        "inputs": inputs,
        "required": [i for i in inputs if not i["has_default"]],
        "choices": {
            k: v for k, v in resolution.values.items() if k in _used_by(blueprint, definition.pipeline)
        },
        "release_image": release_image,
        "semver": SEMVER,
    }
    files = (
        _file(template_path(name), spec_header(inputs) + "---\n" + body),
        _file("README.md", _own_template("README.md.j2").render(own)),
        _file(".gitlab-ci.yml", _own_template("gitlab-ci.yml.j2").render(own)),
    )
    return Rendering(blueprint.name, blueprint.version, dict(resolution.values), files)


def _used_by(blueprint: Blueprint, path: str) -> frozenset[str]:
    """The variables the template of `path` reads (the component's choices the README lists)."""
    rule = next(r for r in blueprint.manifest.files if r.path == path)
    env = template_environment(blueprint)
    source = env.loader.get_source(env, rule.template)[0] if env.loader else ""
    return frozenset(meta.find_undeclared_variables(env.parse(source)))


def _input(name: str, var: VariableDef) -> dict[str, Any]:
    return {
        "name": name,
        "type": _INPUT_TYPES[var.type],
        "description": var.description,
        "has_default": var.derive is None and not var.required,
        "default": var.default,
        "pattern": var.pattern,
        "options": var.choices,
    }


def spec_header(inputs: list[dict[str, Any]]) -> str:
    """`spec: inputs:` [G:doc/ci/yaml/_index.md#specinputs]: each input's type, description, default
    (none: the project must give it), and the variable's pattern as `regex` or its choices as `options`."""
    lines = ["spec:", "  inputs:"] if inputs else ["spec: {}"]
    for spec in inputs:
        lines.append(f"    {spec['name']}:")
        if spec["type"] != "string":
            lines.append(f"      type: {spec['type']}")
        lines.append(f"      description: {json.dumps(spec['description'], ensure_ascii=False)}")
        if spec["has_default"]:
            lines.append(f"      default: {json.dumps(spec['default'], ensure_ascii=False)}")
        if spec["options"] and spec["type"] == "string":
            lines.append(f"      options: {json.dumps(spec['options'])}")
        elif spec["pattern"] and spec["type"] == "string":
            lines.append(f"      regex: {json.dumps(spec['pattern'])}")
    return "\n".join(lines) + "\n"


def _file(path: str, text: str) -> RenderedFile:
    # The component project is the tool's: any difference from the rendering is drift it restores.
    return RenderedFile(
        path, FileRule(path=path, template="(component)", policy="enforced"), text, "enforced"
    )


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = strict_environment(_OWN)
    env.filters["yaml"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def _own_template(name: str) -> Any:
    return _environment().get_template(name)


# -- a project that includes it -----------------------------------------------------------------
def include_rendering(
    rendering: Rendering, component: ComponentRef, root: Path = BLUEPRINTS_DIR
) -> Rendering:
    """`rendering` in component mode: the pipeline file is the component's include, the carried files
    are the component's."""
    blueprint = load_blueprint(rendering.blueprint, root)
    definition = component_of(blueprint)
    declared = blueprint.manifest.variables
    given = {  # what the project must give, and what differs from the input's default
        name: rendering.variables[name]
        for name in definition.inputs
        if not _input(name, declared[name])["has_default"]
        or rendering.variables[name] != declared[name].default
    }
    files = []
    for rendered in rendering.files:
        if rendered.path in definition.carries:
            continue
        if rendered.path == definition.pipeline:
            text = include_text(component, given, blueprint=rendering.blueprint)
            rendered = dataclasses.replace(rendered, text=text, policy="include")
        files.append(rendered)
    return dataclasses.replace(rendering, files=tuple(files))


def include_text(component: ComponentRef, inputs: Mapping[str, Any], *, blueprint: str) -> str:
    """A project's pipeline when it is new: the include entry and what the rest of the file is for."""
    return (
        f"# The pipeline is the CI/CD component {component.project}/{component.name} (blueprint {blueprint})\n"
        "# at the version below. provisioner keeps this include entry (its version and inputs); the rest of\n"
        "# this file is yours: add jobs, variables or other includes below, and they are kept.\n"
        "include:\n" + "".join(f"{line}\n" for line in include_entry(component, inputs, indent=2))
    )


def include_entry(component: ComponentRef, inputs: Mapping[str, Any], *, indent: int) -> list[str]:
    """The entry's lines, the dash at `indent`."""
    pad = " " * indent
    lines = [f"{pad}- component: {component.reference}"]
    if inputs:
        lines.append(f"{pad}  inputs:")
        lines += [
            f"{pad}    {name}: {json.dumps(value, ensure_ascii=False)}" for name, value in inputs.items()
        ]
    return lines


def version_key(version: str) -> tuple[int, int, int, int, str] | None:
    """How versions sort (a pre-release before its release); None: not a semantic version."""
    found = re.match(SEMVER, version)
    if found is None:
        return None
    major, minor, patch, pre = found.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")
