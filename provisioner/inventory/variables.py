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

import stat
from collections.abc import Callable, Iterator
from pathlib import Path as FilePath
from typing import Any

from provisioner.confine import Roots
from provisioner.errors import InputProblem
from provisioner.inventory.document import Document, Path, format_path
from provisioner.inventory.schema import MASKABLE_VALUE, MASKING_RULE, Variables
from provisioner.inventory.spec import VARIABLE_METADATA, ResolvedVariable
from provisioner.secrets import (
    Secret,
    SecretLookupError,
    SecretNotHere,
    Unresolved,
    parse_reference,
    resolve,
)


class SecretResolver:
    """`required`: a reference that cannot be resolved is a problem of the input; otherwise (a read-only
    run) the variable keeps it as `Unresolved`, and its value is not verified."""

    def __init__(self, roots: Roots | None = None, *, required: bool = True) -> None:
        self._cache: dict[tuple[str, str], Secret | SecretLookupError] = {}
        self._unresolved: dict[tuple[str, str], Unresolved] = {}
        self._roots = roots
        self.required = required
        self.exposed: set[tuple[str, str]] = set()  # file secrets others can read: (ref, base_dir)

    def resolve(self, ref: str, base_dir: FilePath) -> Secret:
        """The secret behind `ref`; raises SecretLookupError (the same one each time it is asked).
        A `file:` secret must lie inside the allowed folders (`confine.Roots`)."""
        scheme, rest = parse_reference(ref)
        key = (ref, str(base_dir.resolve()) if scheme == "file" else "")
        if key not in self._cache:
            try:
                refused = (
                    self._roots.refusal(rest, base_dir / rest) if self._roots and scheme == "file" else None
                )
                if refused is not None:
                    raise SecretLookupError(f"secret file {refused}")
                self._cache[key] = resolve(ref, base_dir)
                if scheme == "file" and (base_dir / rest).stat().st_mode & _OTHERS_READ:
                    self.exposed.add(key)
            except SecretLookupError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, SecretLookupError):
            raise found
        return found

    def unresolved(self, ref: str, exc: SecretLookupError) -> Unresolved:
        """The one `Unresolved` of `ref` (and why) for the whole inventory, however many name it."""
        return self._unresolved.setdefault((ref, str(exc)), Unresolved(ref, str(exc)))

    def is_exposed(self, ref: str, base_dir: FilePath) -> bool:
        """Whether `ref` is a file secret that users other than its owner may read."""
        return (ref, str(base_dir.resolve())) in self.exposed


def base_dir(document: Document) -> FilePath:
    return FilePath(document.file).parent


_OTHERS_READ = stat.S_IRGRP | stat.S_IROTH


def check_secrets(
    document: Document, mapping_path: Path, resolver: SecretResolver, warnings: list[InputProblem]
) -> list[InputProblem]:
    """Resolve every secret of the variables mapping at `mapping_path`; a problem for each that fails,
    a warning (added to `warnings`) for each file secret that others may read."""
    problems: list[InputProblem] = []
    for entry_path, entry in _entries(document, mapping_path):
        ref = entry.get("secret")
        if not isinstance(ref, str):
            continue  # absent, or a wrong type the schema check reports
        try:
            secret = resolver.resolve(ref, base_dir(document))
        except SecretLookupError as exc:
            if resolver.required or not isinstance(exc, SecretNotHere):
                problems.append(_problem(document, (*entry_path, "secret"), str(exc)))
            continue
        if resolver.is_exposed(ref, base_dir(document)):
            message = f"{ref} can be read by other users of this machine: chmod 600 it"
            warnings.append(_problem(document, (*entry_path, "secret"), message))
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
            value: str | Secret | Unresolved | None = entry.value
            if entry.secret is not None:
                try:
                    value = resolver.resolve(entry.secret, base_dir_of(key))
                except SecretLookupError as exc:
                    if resolver.required or not isinstance(exc, SecretNotHere):
                        return None  # already reported where the reference is written
                    value = resolver.unresolved(entry.secret, exc)
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
                    given=frozenset(entry.model_fields_set) & VARIABLE_METADATA,
                )
            )
    return tuple(sorted(resolved, key=lambda variable: variable.identity))
