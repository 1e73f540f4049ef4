"""Rendering a blueprint: the same variables always give the same files, byte for byte."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import tomlkit
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
)

from provisioner.blueprint.manifest import BLUEPRINTS_DIR, TEMPLATES, Blueprint, load_blueprint
from provisioner.blueprint.manifest_schema import FileRule, Policy
from provisioner.blueprint.policies import Enforce, enforce_problems, policy_for
from provisioner.blueprint.variables import holds, resolve_variables, sort_versions
from provisioner.errors import InputError, InputProblem


def sha256_text(text: str) -> str:
    """The hash GitLab reports as `content_sha256` for a file with this (UTF-8) content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RenderedFile:
    path: str
    rule: FileRule
    text: str
    policy: Policy  # the rule's, or the project's choice (see policies)

    @functools.cached_property
    def sha256(self) -> str:  # asked for many times per file and run: hashed once
        return sha256_text(self.text)


@dataclass(frozen=True)
class Rendering:
    blueprint: str
    version: str
    variables: Mapping[str, Any]  # resolved: given, defaults and derived values
    files: tuple[RenderedFile, ...]  # in manifest order
    environments: tuple[str, ...] = ()  # the GitLab environments the rendered files deploy to

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    def file(self, path: str) -> RenderedFile:
        for rendered in self.files:
            if rendered.path == path:
                return rendered
        raise KeyError(path)


def render(
    name: str,
    variables: Mapping[str, Any],
    *,
    project_path: str | None = None,
    source: str = "blueprint_vars",
    root: Path = BLUEPRINTS_DIR,
    enforce: Enforce = None,
    release_tags_protected: bool = True,
) -> Rendering:
    """Render blueprint `name` with a project's variables. `source` names where they came from in errors;
    `enforce` is the project's `blueprint_enforce`; `release_tags_protected`: whether the project's
    release tags are protected (what the rendered texts may say about them)."""
    blueprint = load_blueprint(name, root)
    resolution = resolve_variables(blueprint, variables, project_path=project_path)
    problems = [InputProblem(source, 0, 0, field, message) for field, message in resolution.problems]
    problems += [
        InputProblem(source, 0, 0, f"blueprint_vars.{n}", "required: give it, or the project it derives from")
        for n in resolution.unresolved
    ]
    problems += [
        InputProblem(source, 0, 0, "blueprint_enforce", m) for m in enforce_problems(blueprint, enforce)
    ]
    if problems:
        raise InputError(problems)
    return render_resolved(
        blueprint, resolution.values, enforce, release_tags_protected=release_tags_protected
    )


def render_resolved(
    blueprint: Blueprint,
    values: Mapping[str, Any],
    enforce: Enforce = None,
    *,
    release_tags_protected: bool = True,
) -> Rendering:
    context = template_context(blueprint, values, release_tags_protected=release_tags_protected)
    files: list[RenderedFile] = []
    for rule in blueprint.manifest.files:
        path, text = render_rule(blueprint, rule, context)
        if any(f.path == path for f in files):
            raise _template_problem(blueprint, "", 0, f"two files render to {path!r}")
        files.append(RenderedFile(path, rule, text, policy_for(rule, enforce)))
    environments = tuple(n for n, e in blueprint.manifest.environments.items() if holds(e.when, values))
    return Rendering(blueprint.name, blueprint.version, dict(values), tuple(files), environments)


def template_context(
    blueprint: Blueprint,
    values: Mapping[str, Any],
    *,
    release_tags_protected: bool = True,
    component: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What templates see: the variables and `blueprint` (its name, version, release rule, whether
    the release tags are protected, and in component mode `component`, see component.py)."""
    release_tags = blueprint.manifest.release_tags
    return {
        **values,
        "blueprint": {
            "name": blueprint.name,
            "version": blueprint.version,
            "release_tags": release_tags.model_dump() if release_tags else None,
            "release_tags_protected": release_tags_protected,
            "component": component,
        },
    }


def render_rule(blueprint: Blueprint, rule: FileRule, context: Mapping[str, Any]) -> tuple[str, str]:
    """One file of the manifest: its path and text. Raises InputError naming the template."""
    env = template_environment(blueprint)
    try:
        path = _safe_path(_path_template(env, rule.path).render(context))
        text = env.get_template(rule.template).render(context)
    except TemplateSyntaxError as exc:
        raise _template_problem(blueprint, rule.template, exc.lineno, exc.message or str(exc)) from None
    except TemplateError as exc:
        raise _template_problem(blueprint, rule.template, 0, exc.message or str(exc)) from None
    except ValueError as exc:
        raise _template_problem(blueprint, "", 0, f"files.path {rule.path!r}: {exc}") from None
    return path, text


class Input:
    """A component's input in a template: rendered as GitLab's `$[[ inputs.NAME ]]`, which GitLab replaces
    with each project's value when the pipeline is created. A template may use it as a value only: a
    condition on it, or a filter that reads it, is an error of the blueprint."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return f"$[[ inputs.{self.name} ]]"

    def _refuse(self, *_: Any) -> Any:
        raise TemplateError(
            f"the component input {self.name} is used in a condition or an expression; a template may "
            "only write an input as a value ({{ NAME | yaml }})"
        )

    __bool__ = __iter__ = __len__ = __eq__ = __ne__ = __lt__ = __add__ = __contains__ = _refuse
    __hash__ = object.__hash__


def template_environment(blueprint: Blueprint) -> Environment:
    return _environment(blueprint.directory / TEMPLATES)


def strict_environment(templates: Path) -> Environment:
    """How the product renders the templates of a folder, whatever the filters it adds."""
    # YAML and TOML are not HTML: no escaping; a missing variable is an error, never an empty string.
    return Environment(
        loader=FileSystemLoader(templates),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.lru_cache(maxsize=64)
def _environment(templates: Path) -> Environment:
    """One per blueprint, so that templates compile once per run (Jinja reloads a template that changed)."""
    env = strict_environment(templates)
    env.filters.update(toml=_toml_value, yaml=_yaml_value, python=_python_value, sort_versions=sort_versions)
    return env


@functools.lru_cache(maxsize=256)
def _path_template(env: Environment, source: str) -> Template:
    return env.from_string(source)


def _toml_value(value: Any) -> str:
    text: str = tomlkit.item(value).as_string()
    return text


def _yaml_value(value: Any) -> str:
    # JSON is YAML 1.2 flow style; unlike Jinja's tojson it leaves < > & ' alone.
    return json.dumps(str(value) if isinstance(value, Input) else value, ensure_ascii=False)


def _python_value(value: Any) -> str:
    if not isinstance(value, str):
        raise TemplateError(f"the python filter takes text, not {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid Python string literal


def _safe_path(rendered: str) -> str:
    path = PurePosixPath(rendered)
    if not rendered or path.is_absolute() or rendered != str(path):
        raise ValueError(f"{rendered!r} is not a clean relative path")
    if ".." in path.parts or path.parts[0] == ".git":
        raise ValueError(f"{rendered!r} leaves the repository or enters .git")
    return rendered


def _template_problem(blueprint: Blueprint, template: str, line: int | None, message: str) -> InputError:
    where = blueprint.directory / TEMPLATES / template if template else blueprint.manifest_path
    return InputError([InputProblem(str(where), line or 0, 0, "", message)])
