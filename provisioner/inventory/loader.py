"""`load_inventory`: read, merge, validate and resolve the whole inventory, or report every problem."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FilePath
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner import blueprint
from provisioner.blueprint.needs import Needs, Unmet, declared_needs, project_needs
from provisioner.confine import Roots
from provisioner.errors import InputError, InputProblem
from provisioner.interning import Interner
from provisioner.inventory import coverage, section_secrets
from provisioner.inventory.catalog import Catalog, catalog, check_document
from provisioner.inventory.document import format_path
from provisioner.inventory.files import read_inventory_files
from provisioner.inventory.findings import Finding, findings
from provisioner.inventory.merge import Layer, Merged, merge_layers
from provisioner.inventory.schema import (
    NO_SECTIONS,
    Project,
    Sections,
    Variables,
    group_model,
    group_own_model,
    inventory_model,
    project_model,
)
from provisioner.inventory.spec import NO_SECRETS, GroupSpec, LoadedInventory, ProjectSpec
from provisioner.inventory.token_files import check_token_files
from provisioner.inventory.variables import SecretResolver, base_dir, check_secrets, resolved_variables

BlueprintCheck = Callable[[str, Mapping[str, Any], str], list[tuple[str, str]]]
"""(blueprint name, blueprint_vars, project path) -> [(field suffix, message)]"""


def _check_blueprint(name: str, variables: Mapping[str, Any], project_path: str) -> list[tuple[str, str]]:
    return blueprint.check_vars(name, variables, project_path=project_path)


def load_inventory(
    path: FilePath,
    *,
    only: Sequence[str] = (),
    check_blueprint: BlueprintCheck = _check_blueprint,
    locate: bool = False,
    sections: Sections | None = None,
    extra_roots: Sequence[FilePath] = (),
    covered: Sequence[str] = (),
    require_secrets: bool = True,
) -> LoadedInventory:
    """Load `path` and its includes. Raises InputError listing every problem; never calls the network.

    `only` selects projects and groups by full path or glob (`platform/*`); the whole inventory is
    validated whatever the selection. The files are first read without positions (most of a large
    inventory's memory); when anything is wrong they are read again with them, to say where.
    `locate`: with positions from the start (`ProjectSpec.source` then names the project's line).
    `sections`: the sections the facets read, beyond those the schema spells out (see `Facet.section`).
    `extra_roots`: folders besides the main file's that included files, `file:` secrets and token
    files may be in (`confine.Roots`).
    `covered`: projects a coverage rule brings (`inventory.coverage`), built as if listed with an empty
    entry; `only` patterns that match none of what is listed wait for them (`LoadedInventory.deferred`)
    while the inventory has coverage rules and none are given.
    `require_secrets`: False for a read-only run: a secret it cannot resolve is `Unresolved`.
    """
    how = _How(
        only, check_blueprint, Roots.of(path, extra_roots), sections or NO_SECTIONS, covered, require_secrets
    )
    if not locate:
        try:
            loaded = _load(path, how, quick=True)
            if not loaded.warnings:
                return loaded
        except InputError:
            pass  # the same load, with positions, says where each problem (or warning) is
    return _load(path, how, quick=False)


@dataclass(frozen=True)
class _How:
    only: Sequence[str]
    check_blueprint: BlueprintCheck
    roots: Roots
    sections: Sections
    covered: Sequence[str]
    require_secrets: bool


def _load(path: FilePath, how: _How, *, quick: bool) -> LoadedInventory:
    only, check_blueprint, roots, sections = how.only, how.check_blueprint, how.roots, how.sections
    inventory_dir = str(FilePath(path).resolve().parent)
    files = read_inventory_files(path, roots, quick=quick)
    problems = list(files.problems)
    model = project_model(sections)
    own_keys = frozenset(group_model(sections).model_fields) - frozenset(model.model_fields)
    for document in files.read_order:
        problems += check_document(document, inventory_model(sections))
        problems += check_token_files(document, roots, FilePath(inventory_dir))
    layers = catalog(files)
    problems += layers.problems
    problems += coverage.problems(layers.groups)
    listed = frozenset(name.lower() for name in layers.projects)
    if how.covered and files.read_order:
        layers.projects.update(coverage.covered_layers(files.read_order[0], how.covered, layers.projects))
    resolver = SecretResolver(roots, required=how.require_secrets)
    warnings: list[InputProblem] = []
    project_sections = tuple(name for name, _ in sections._extra(sections.project))
    group_sections = tuple(name for name, _ in sections._extra(sections.group))
    problems += _check_all_secrets(layers, resolver, warnings, (*project_sections, *group_sections))

    # name -> (spec, the sha256 of its merged config): a dump of each, held to the end, was most of
    # the memory a 10,000-project inventory took to load
    projects: dict[str, tuple[ProjectSpec, bytes]] = {}
    shared = Interner()
    for name, layer in layers.projects.items():
        built = _project(
            name,
            layer,
            layers,
            resolver,
            check_blueprint,
            problems,
            inventory_dir,
            shared,
            model,
            own_keys,
            project_sections,
        )
        if built is not None and sections.unmet_needs is not None:
            warnings += _unmet_needs(built[0], layer, layers, own_keys, sections.unmet_needs)
        if built is not None:
            projects[name] = built
    groups: dict[str, tuple[GroupSpec, bytes]] = {}
    own = group_own_model(sections)
    for name, layer in layers.groups.items():
        group = _group(name, layer, resolver, own, inventory_dir, problems)
        if group is not None:
            groups[name] = group

    if problems:
        raise InputError(_tidy(problems, [document.file for document in files.read_order]))
    rules = coverage.rules(layers.groups)
    selected, deferred = _select([*projects, *groups], only, str(path), wait=bool(rules and not how.covered))
    chosen_projects = [projects[name] for name in sorted(projects) if name in selected]
    chosen_groups = [groups[name] for name in sorted(groups) if name in selected]
    digest = hashlib.sha256()
    for kind, chosen in (("projects", chosen_projects), ("groups", chosen_groups)):
        for spec, section in chosen:
            digest.update(f"{kind}\0{spec.path}\0".encode() + section)
    return LoadedInventory(
        projects=tuple(spec for spec, _ in chosen_projects),
        groups=tuple(spec for spec, _ in chosen_groups),
        files=tuple(document.file for document in files.read_order),
        digest=digest.hexdigest(),
        warnings=tuple(map(str, _tidy(warnings, [document.file for document in files.read_order]))),
        listed=listed,
        groups_named=tuple(sorted(layers.groups)),
        coverage=rules,
        uncovered=coverage.uncovered_policy(files.read_order[0]) if files.read_order else "report",
        deferred=tuple(deferred),
    )


def _check_all_secrets(
    layers: Catalog,
    resolver: SecretResolver,
    warnings: list[InputProblem],
    facet_sections: Sequence[str] = (),
) -> list[InputProblem]:
    problems: list[InputProblem] = []
    for layer in [*layers.defaults, *layers.groups.values(), *layers.projects.values()]:
        for section in ("variables", "group_variables"):
            problems += check_secrets(layer.document, (*layer.root, section), resolver, warnings)
        problems += section_secrets.check(layer.document, layer.root, facet_sections, resolver)
    return problems


def _project(
    name: str,
    layer: Layer,
    layers: Catalog,
    resolver: SecretResolver,
    check_blueprint: BlueprintCheck,
    problems: list[InputProblem],
    inventory_dir: str,
    shared: Interner,
    model: type[Project] = Project,
    group_own: frozenset[str] = frozenset({"group_variables"}),
    facet_sections: Sequence[str] = (),
) -> tuple[ProjectSpec, bytes] | None:
    """`group_own`: the keys of a group's own sections (its variables, ...): the group's, not its
    projects', so they are left out of the merge."""
    merged = merge_layers([*layers.defaults, *layers.groups_above(name), layer], skip=group_own)
    blueprint_name, blueprint_vars = merged.data.get("blueprint"), merged.data.get("blueprint_vars", {})
    if isinstance(blueprint_name, str) and isinstance(blueprint_vars, dict):
        blueprint_problems = [
            *check_blueprint(blueprint_name, blueprint_vars, name),
            *blueprint.check_enforce(blueprint_name, merged.data.get("blueprint_enforce")),
        ]
        for suffix, message in blueprint_problems:
            problems.append(_merged_problem(_blueprint_finding(suffix, message, merged.data), merged, layer))
    elif blueprint_name is None and blueprint_vars:
        # nothing would read them, so a typo in them would never be reported either
        message = "blueprint_vars without a blueprint: name the blueprint they are for, or remove them"
        problems.append(_merged_problem(Finding(("blueprint_vars",), message, at_key=True), merged, layer))
    for path, message in blueprint.check_component_mode(merged.data):
        problems.append(_merged_problem(Finding(path, message, at_key=True), merged, layer))
    try:
        config = model.model_validate(merged.data)
    except ValidationError as exc:
        # Unknown keys are reported by the check of each file, which knows what each layer allows.
        found = [
            finding for finding in findings(exc, model, merged.data) if finding.kind != "extra_forbidden"
        ]
        problems += [_merged_problem(finding, merged, layer) for finding in found]
        return None

    for section in _facets_sections(model):  # what only the merged configuration can tell
        check = getattr(getattr(config, section, None), "problems_after_merge", None)
        for path, missing, message in check() if check else ():
            finding = Finding((section, *path), message, missing=missing)
            problems.append(_merged_problem(finding, merged, layer))

    def base_dir_of(key: str) -> FilePath:
        source = merged.source(("variables", key))
        return base_dir((source[0] if source else layer).document)

    variables = resolved_variables(config.variables, base_dir_of, resolver)
    secrets = section_secrets.resolve(merged, facet_sections, resolver, problems)
    if variables is None or secrets is None:
        return None
    config = shared.value(config)
    spec = ProjectSpec(
        path=name,
        config=config,
        variables=shared.value(variables),
        source=shared.value(layer.location((), at_key=True)),
        inventory_dir=inventory_dir,
        secrets=shared.value(MappingProxyType(secrets)) if secrets else NO_SECRETS,
    )
    return spec, _fingerprint(config)


UnmetNeeds = Callable[[Any, Needs], Sequence[Unmet]]


def _unmet_needs(
    spec: ProjectSpec, layer: Layer, layers: Catalog, group_own: frozenset[str], unmet_needs: UnmetNeeds
) -> list[InputProblem]:
    """Warnings for what the project's blueprint needs and no facet will do, where the inventory says
    so. What every environment the blueprint declares would need is asked first (cheap); only when
    that falls short are the project's variables resolved, to know which environments it uses."""
    name = spec.config.blueprint
    if name is None:
        return []
    declared = declared_needs(name)
    unmet = list(unmet_needs(spec.config, declared)) if declared else []
    if unmet and declared.environments:
        needs = project_needs(name, spec.config.blueprint_vars, project_path=spec.path)
        unmet = list(unmet_needs(spec.config, needs))
    if not unmet:
        return []
    merged = merge_layers([*layers.defaults, *layers.groups_above(spec.path), layer], skip=group_own)
    return [_merged_problem(Finding(u.path, u.message, at_key=True), merged, layer) for u in unmet]


def _facets_sections(model: type[Project]) -> tuple[str, ...]:
    """The sections facets bring to a project (beyond those `schema.Project` spells out)."""
    return tuple(name for name in model.model_fields if name not in Project.model_fields)


def _fingerprint(model: BaseModel) -> bytes:
    """The sha256 of what `model` says, whatever the order of keys in the inventory."""
    return hashlib.sha256(json.dumps(model.model_dump(mode="json"), sort_keys=True).encode()).digest()


def _group(
    name: str,
    layer: Layer,
    resolver: SecretResolver,
    own: type[BaseModel],
    inventory_dir: str,
    problems: list[InputProblem] | None = None,
) -> tuple[GroupSpec, bytes] | None:
    """A group is a target when it says something of itself: its variables, or another own section."""
    entry = layer.data if isinstance(layer.data, dict) else {}
    data = entry.get("group_variables")
    sections = {key: entry[key] for key in own.model_fields if entry.get(key) is not None}
    if not isinstance(data, dict) and not sections:
        return None
    try:
        variables = Variables.model_validate(
            {key: value for key, value in (data or {}).items() if value is not None}
        )
        config = own.model_validate(sections)
    except ValidationError:
        return None  # reported by the check of its file
    resolved = resolved_variables(variables, lambda _key: base_dir(layer.document), resolver)
    secrets = section_secrets.resolve(merge_layers([layer]), tuple(sections), resolver, problems or [])
    if resolved is None or secrets is None:
        return None
    spec = GroupSpec(
        name,
        resolved,
        prune=variables.prune,
        source=layer.location((), at_key=True),
        inventory_dir=inventory_dir,
        config=config,
        secrets=secrets or NO_SECRETS,
    )
    return spec, _fingerprint(variables) + _fingerprint(config)


def _blueprint_finding(suffix: str, message: str, data: dict[str, Any]) -> Finding:
    path: tuple[str, ...] = ()
    parts = tuple(suffix.split(".")) if suffix else ()
    node: Any = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            break
        node, path = node[part], (*path, part)
    return Finding(path, message, missing=parts[len(path) :], at_key=isinstance(node, dict | list))


def _merged_problem(finding: Finding, merged: Merged, project: Layer) -> InputProblem:
    """Locate a problem of a merged project: where the faulty value was written, in that layer's words."""
    source = merged.source(finding.path)
    if not finding.missing and source is not None and source[1] == finding.path:
        origin = source[0]
        spot = origin.location(finding.path, at_key=finding.at_key)
        field = format_path((*origin.root, *finding.path))
    else:  # something the project lacks: point at the project's own entry
        path = finding.path
        while path and merged.origin.get(path) is not project:
            path = path[:-1]
        spot = project.location(path, at_key=True)
        field = format_path((*project.root, *finding.path, *finding.missing))
    return InputProblem(spot.file, spot.line, spot.column, field, finding.message)


def _select(
    names: Iterable[str], patterns: Sequence[str], main: str, *, wait: bool = False
) -> tuple[set[str], list[str]]:
    """The names `patterns` select, and the patterns that matched none: an error, unless they may
    still match a project a coverage rule brings (`wait`)."""
    names = list(names)
    if not patterns:
        return set(names), []
    selected: set[str] = set()
    unmatched: list[str] = []
    for pattern in patterns:
        matched = {name for name in names if fnmatch.fnmatchcase(name.lower(), pattern.lower())}
        if not matched:
            unmatched.append(pattern)
        selected |= matched
    if unmatched and not wait:
        raise InputError(
            [InputProblem(main, 0, 0, "", f"no project or group matches '{p}'") for p in unmatched]
        )
    return selected, unmatched


def _tidy(problems: list[InputProblem], files: list[str]) -> list[InputProblem]:
    """One line per problem (a value inherited by many projects is reported once), in file order."""
    order = {file: index for index, file in enumerate(files)}
    unique = {(p.file, p.line, p.column, p.message): p for p in reversed(problems)}
    return sorted(unique.values(), key=lambda p: (order.get(p.file, len(order)), p.line, p.column, p.field))
