"""The schema of a blueprint's manifest (`blueprint.yaml`): typed variables, file rules, checks,
release tags, environments and the CI/CD component. Pydantic models, frozen, unknown keys refused;
loading them (and saying where a mistake is) is `blueprint.manifest`'s."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from jinja2 import Environment, TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONTEXT_NAMES = ("project_path", "project_name")
"""Names a `derive` expression may use besides the variables: the GitLab project the blueprint is for."""

VarType = Literal["str", "bool", "int", "list[str]"]
Policy = Literal["managed", "enforced", "seed", "managed-keys", "include"]
"""managed: the rendering, the team's edits kept and merged; enforced: the rendering, any difference is drift
that apply restores; seed: created once; managed-keys: only the owned keys of a TOML file; include: (component
mode only, never in a manifest) the pipeline's `include:` entry of the component, the rest of the file the
team's."""
WHOLE_FILE: tuple[Policy, ...] = ("managed", "enforced")
"""Policies under which the file is the rendering, whole: the two a project may switch between."""
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_DOTTED = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class VariableDef(_Model):
    """One input of the blueprint. Without `default` or `derive` it is required."""

    type: VarType
    description: Annotated[str, Field(min_length=1)]
    default: Any = None
    derive: str | None = None
    """A Jinja expression over the other variables and the project (project_path, project_name)."""
    pattern: str | None = None
    """A regular expression each text value (each item of a list) must match."""
    choices: list[str] | None = None
    min_items: Annotated[int, Field(ge=0)] | None = None

    @property
    def required(self) -> bool:
        return "default" not in self.model_fields_set and self.derive is None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return pattern

    @field_validator("derive")
    @classmethod
    def _parses(cls, derive: str | None) -> str | None:
        if derive is not None:
            try:
                Environment().parse(derive)
            except TemplateSyntaxError as exc:
                raise ValueError(f"not a Jinja expression: {exc}") from None
        return derive

    @model_validator(mode="after")
    def _consistent(self) -> VariableDef:
        if self.derive is not None and "default" in self.model_fields_set:
            raise ValueError("give default or derive, not both")
        if self.derive is not None and self.type != "str":
            raise ValueError("derive is only for type str")
        if (self.pattern or self.choices) and self.type not in ("str", "list[str]"):
            raise ValueError("pattern and choices are only for text")
        if self.min_items is not None and self.type != "list[str]":
            raise ValueError("min_items is only for type list[str]")
        return self


def _expression(text: str) -> str:
    try:
        Environment().parse("{{ " + text + " }}")  # syntax only: filters are the renderer's
    except TemplateSyntaxError as exc:
        raise ValueError(f"not a Jinja expression: {exc}") from None
    return text


class EnsureItems(_Model):
    """An array in a managed-keys TOML file that must hold the rendering's items (the team may add more)."""

    path: str
    match: Literal["exact", "requirement-name"] = "exact"
    """How an item is recognised: equal text, or the same requirement name whatever its version specifier."""
    unless: str | None = None
    """Skip this rule when the current file has this key (e.g. a static project.version)."""


class FileRule(_Model):
    """One rendered file and the policy that says how it is kept in shape."""

    path: str
    """Where the file goes in the repository; a template itself (src/{{ import_name }}/__init__.py)."""
    template: str
    """The Jinja template under templates/."""
    policy: Policy
    owned: list[str] = []
    """managed-keys: dotted paths of the tables and keys the tool enforces (the rest is the team's)."""
    ensure_items: list[EnsureItems] = []
    only_with_new: str | None = None
    """seed: plant it only in the run that creates that file too (a new project, not an existing one)."""
    compliance: Literal["enforced"] | None = None
    """What a compliance team makes of this file: `blueprint_enforce: true` in the inventory enforces it."""

    @model_validator(mode="after")
    def _policy_fields(self) -> FileRule:
        if self.policy == "include":
            raise ValueError(
                "policy include is what component mode gives the pipeline; a manifest does not use it"
            )
        if self.policy != "managed-keys" and (self.owned or self.ensure_items):
            raise ValueError("owned and ensure_items are only for policy managed-keys")
        if self.policy == "managed-keys" and not self.path.endswith(".toml"):
            raise ValueError("policy managed-keys is only for TOML files")
        if self.policy != "seed" and self.only_with_new is not None:
            raise ValueError("only_with_new is only for policy seed")
        if self.compliance is not None and self.policy not in WHOLE_FILE:
            raise ValueError("compliance is only for policy managed or enforced (a whole rendered file)")
        for dotted in [
            *self.owned,
            *(e.path for e in self.ensure_items),
            *(e.unless or "a" for e in self.ensure_items),
        ]:
            if not _DOTTED.match(dotted):
                raise ValueError(f"{dotted!r} is not a dotted key path (tool.coverage.run)")
        return self


class VariableCheck(_Model):
    """A rule over several variables: when `when` (a Jinja expression over the resolved variables) is
    true, the project's variables are refused with `message`."""

    when: str
    message: Annotated[str, Field(min_length=1)]

    @field_validator("when")
    @classmethod
    def _parses(cls, when: str) -> str:
        return _expression(when)


class ReleaseTags(_Model):
    """Which tags are releases: one rule for the pipeline and for tag protection.

    The pipeline's release jobs run on tags matching `pattern`; the protection facet protects `protected`
    (GitLab's wildcard syntax), so that only maintainers create them. Every tag that `pattern` matches
    must fall under `protected`, or a release could come from an unprotected tag: the manifest is refused
    unless `pattern` is anchored (^...$) and starts with the literal prefix of `protected`.
    """

    protected: Annotated[str, Field(pattern=r"^[^*\s]+\*$")]
    """A protected tag wildcard: a literal prefix and one trailing `*` (v*)."""
    pattern: str
    """The regular expression, as GitLab CI rules take it between slashes (RE2 syntax: no lookaround)."""

    @model_validator(mode="after")
    def _same_rule(self) -> ReleaseTags:
        prefix, pattern = "^" + re.escape(self.protected[:-1]), self.pattern
        anchored = (
            pattern.startswith(prefix)
            and pattern[len(prefix) : len(prefix) + 1]
            not in ("?", "*", "+", "{")  # ^v? would make v optional
            and pattern.endswith("$")
            and not pattern.endswith("\\$")
            and not _top_level_alternation(pattern)  # ^v1|2$ would match 2 anywhere
        )
        if not anchored or "/" in pattern:
            raise ValueError(
                f"pattern must start with {prefix!r} (not made optional), end with '$', have no top-level '|' "
                "and no '/'"
            )
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return self


def _top_level_alternation(pattern: str) -> bool:
    depth, in_class, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
    return False


class EnvironmentDef(_Model):
    """A GitLab environment the rendered pipeline deploys to (its publish jobs), for the facet that
    keeps protected environments."""

    description: Annotated[str, Field(min_length=1)]
    when: str = "true"
    """A Jinja expression over the resolved variables: whether the rendering uses this environment."""

    @field_validator("when")
    @classmethod
    def _parses(cls, when: str) -> str:
        return _expression(when)


class ComponentDef(_Model):
    """How the blueprint's pipeline becomes a CI/CD component (`component` mode, see
    provisioner/blueprint/component.py): one component named after the blueprint."""

    pipeline: str
    """The rendered file that a project includes the component in place of (.gitlab-ci.yml)."""
    carries: list[str] = []
    """Rendered files the pipeline's jobs use (ci/release.py): the component brings them with it, so
    projects do not hold them (the template writes them in component mode: `blueprint.component`)."""
    inputs: list[str] = []
    """Variables a project gives as the component's inputs (those that differ between projects, such as
    its package's name); the rest are the component project's choices, the same for every project. The
    template may only use an input as a value (`| yaml`), never in a condition."""


class Manifest(_Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)$")]
    description: Annotated[str, Field(min_length=1)]
    variables: dict[str, VariableDef] = {}
    variable_checks: list[VariableCheck] = []
    release_tags: ReleaseTags | None = None
    environments: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")], EnvironmentDef] = {}
    component: ComponentDef | None = None
    files: Annotated[list[FileRule], Field(min_length=1)]

    @model_validator(mode="after")
    def _component_names_what_exists(self) -> Manifest:
        if self.component is None:
            return self
        paths = [f.path for f in self.files if f.policy in WHOLE_FILE]
        for path in [self.component.pipeline, *self.component.carries]:
            if path not in paths:
                raise ValueError(f"component: {path!r} is not a file this blueprint renders whole")
        for name in self.component.inputs:
            if name not in self.variables:
                raise ValueError(f"component.inputs: {name!r} is not a variable of this blueprint")
        return self

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, variables: dict[str, VariableDef]) -> dict[str, VariableDef]:
        for name in variables:
            if not _IDENTIFIER.match(name) or name in (*CONTEXT_NAMES, "blueprint"):
                raise ValueError(f"{name!r}: a variable name is a lowercase identifier, not a reserved name")
        return variables
