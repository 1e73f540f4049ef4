"""Resolve the secret references of variables, and turn merged variables into `ResolvedVariable`s.

Facets' own sections may hold secret references too (`secret:` in a pipeline schedule's variables):
they are resolved the same way, found wherever they are written (`section_secrets`, `resolved_secrets`),
and handed to the facet by their path in the merged configuration (`ProjectSpec.secrets`).

Every `secret:` written anywhere in the inventory is resolved while loading, even when a more
specific layer overrides it, so that a broken reference is found before the first API call. Each
reference is looked up once however many projects inherit it. Values stay in memory, inside
`Secret`; problems name the reference, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path as FilePath
from typing import Any

from provisioner.errors import InputProblem
from provisioner.inventory.catalog import Catalog
from provisioner.inventory.document import Document, Path, format_path
from provisioner.inventory.merge import Layer, Merged
from provisioner.inventory.schema import MASKABLE_VALUE, MASKING_RULE, Project, Variables
from provisioner.inventory.spec import ResolvedVariable
from provisioner.secrets import Secret, SecretLookupError, parse_reference, resolve


class SecretResolver:
    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Secret | SecretLookupError] = {}

    def resolve(self, ref: str, base_dir: FilePath) -> Secret:
        """The secret behind `ref`; raises SecretLookupError (the same one each time it is asked)."""
        scheme, _ = parse_reference(ref)
        key = (ref, str(base_dir.resolve()) if scheme == "file" else "")
        if key not in self._cache:
            try:
                self._cache[key] = resolve(ref, base_dir)
            except SecretLookupError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, SecretLookupError):
            raise found
        return found


def base_dir(document: Document) -> FilePath:
    return FilePath(document.file).parent


def check_secrets(document: Document, mapping_path: Path, resolver: SecretResolver) -> list[InputProblem]:
    """Resolve every secret of the variables mapping at `mapping_path`; a problem for each that fails."""
    problems: list[InputProblem] = []
    for entry_path, entry in _entries(document, mapping_path):
        ref = entry.get("secret")
        if not isinstance(ref, str):
            continue  # absent, or a wrong type the schema check reports
        try:
            secret = resolver.resolve(ref, base_dir(document))
        except SecretLookupError as exc:
            problems.append(_problem(document, (*entry_path, "secret"), str(exc)))
            continue
        if entry.get("masked") is True and not MASKABLE_VALUE.match(secret.reveal()):
            message = f"GitLab cannot mask the value of {ref}: {MASKING_RULE}"
            problems.append(_problem(document, entry_path, message, at_key=True))
    return problems


def _entries(document: Document, mapping_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    mapping: Any = document.data
    for part in mapping_path:
        mapping = mapping.get(part) if isinstance(mapping, dict) else None
    if not isinstance(mapping, dict):
        return
    for key, value in mapping.items():
        if key == "prune":
            continue
        entries = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, entry in entries:
            if isinstance(entry, dict):
                yield ((*mapping_path, key) if index is None else (*mapping_path, key, index)), entry


def _problem(document: Document, path: Path, message: str, *, at_key: bool = False) -> InputProblem:
    spot = document.location(path, at_key=at_key)
    return InputProblem(spot.file, spot.line, spot.column, format_path(path), message)


def resolved_variables(
    variables: Variables, base_dir_of: Callable[[str], FilePath], resolver: SecretResolver
) -> tuple[ResolvedVariable, ...] | None:
    """The variables with their values in memory, sorted by key and scope; None if a secret failed."""
    resolved: list[ResolvedVariable] = []
    for key, entries in variables.items.items():
        for entry in entries:
            value: str | Secret | None = entry.value
            if entry.secret is not None:
                try:
                    value = resolver.resolve(entry.secret, base_dir_of(key))
                except SecretLookupError:
                    return None  # already reported where the reference is written
            resolved.append(
                ResolvedVariable(
                    key=key,
                    value=value,
                    environment_scope=entry.environment_scope,
                    variable_type=entry.variable_type,
                    masked=entry.masked,
                    hidden=entry.hidden,
                    protected=entry.protected,
                    raw=entry.raw,
                    description=entry.description,
                )
            )
    return tuple(sorted(resolved, key=lambda variable: variable.identity))


# -- secrets in the sections facets bring ---------------------------------------------------------
def secret_entries(node: Any, at: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every mapping below `node` that names a `secret:` (a string), with its path."""
    if isinstance(node, dict):
        if isinstance(node.get("secret"), str):
            yield at, node
        for key, value in node.items():
            yield from secret_entries(value, (*at, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from secret_entries(item, (*at, index))


def section_secrets(
    document: Document, root: Path, keys: Iterable[str], resolver: SecretResolver
) -> list[InputProblem]:
    """Resolve the secrets written in the sections `keys` of the mapping at `root`; a problem for each
    that fails, where it is written."""
    problems: list[InputProblem] = []
    mapping: Any = document.data
    for part in root:
        mapping = mapping.get(part) if isinstance(mapping, dict) else None
    if not isinstance(mapping, dict):
        return problems
    for key in keys:
        for path, entry in secret_entries(mapping.get(key), (*root, key)):
            try:
                resolver.resolve(entry["secret"], base_dir(document))
            except SecretLookupError as exc:
                problems.append(_problem(document, (*path, "secret"), str(exc)))
    return problems


def resolved_secrets(
    data: Mapping[str, Any],
    keys: Iterable[str],
    base_dir_of: Callable[[Path], FilePath],
    resolver: SecretResolver,
) -> dict[Path, Secret] | None:
    """The secrets of the merged sections `keys`, by the path of the entry that names each; None if one
    failed (already reported where it is written)."""
    found: dict[Path, Secret] = {}
    for key in keys:
        for path, entry in secret_entries(data.get(key), (key,)):
            try:
                found[path] = resolver.resolve(entry["secret"], base_dir_of(path))
            except SecretLookupError:
                return None
    return found


def folder_of(merged: Merged, layer: Layer) -> Callable[[Path], FilePath]:
    """The folder of the file that wrote a path of `merged` (`layer`'s when none did): `file:` secrets
    are relative to it."""

    def folder(path: Path) -> FilePath:
        source = merged.source(path)
        return base_dir((source[0] if source else layer).document)

    return folder


def own_sections(model: type[Project]) -> tuple[str, ...]:
    """The sections facets bring to a project (beyond those `schema.Project` spells out)."""
    return tuple(name for name in model.model_fields if name not in Project.model_fields)


def check_all_secrets(
    layers: Catalog, resolver: SecretResolver, sections: Sequence[str]
) -> list[InputProblem]:
    problems: list[InputProblem] = []
    for layer in [*layers.defaults, *layers.groups.values(), *layers.projects.values()]:
        for section in ("variables", "group_variables"):
            problems += check_secrets(layer.document, (*layer.root, section), resolver)
        problems += section_secrets(layer.document, layer.root, sections, resolver)
    return problems
