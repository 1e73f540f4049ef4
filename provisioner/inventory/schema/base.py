"""What every section of the schema shares: strict, frozen models that forbid unknown keys; token
stores; full paths as GitLab allows them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class _Model(BaseModel):
    # strict: `"off"` is not false, `1` is not true, `"20"` is not 20. YAML already types scalars
    # (true, 20, 2030-01-01); a value of the wrong type is a mistake to report, not to guess at.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True, strict=True)


class TokenStore(_Model):
    """Where a one-time token GitLab hands out is kept. Default: the OS keyring (see the README)."""

    keyring: str | None = None
    """SERVICE/NAME in the OS keyring."""
    file: str | None = None
    """A file created with mode 0600, relative to the main inventory file's folder (and inside it,
    unless PROVISIONER_EXTRA_ROOTS allows another)."""

    @model_validator(mode="after")
    def _one(self) -> TokenStore:
        if self.keyring is not None and self.file is not None:
            raise ValueError("give keyring or file, not both")
        if self.keyring is not None and "/" not in self.keyring:
            raise ValueError("keyring must be SERVICE/NAME")
        return self


def _no_duplicates(names: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is given twice")
        seen.add(name)


# GitLab's rule for every existing path segment (newer versions are stricter only for new paths).
_SEGMENT = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")
_SEGMENT_RULE = "letters, digits, '_', '-' and '.', not starting with '-' nor ending in '.git' or '.atom'"


def full_path_problem(name: str, *, project: bool) -> str | None:
    """Why `name` is not the full path of a project (NAMESPACE/PROJECT) or group; None when it is.
    `.` and `..` match GitLab's segment pattern, but a URL holding them is normalised away before it
    reaches GitLab: they can name nothing (whether a reserved-name check refuses them too is unverified)."""
    segments = name.split("/")
    if project and len(segments) < 2:
        return "a project is named by its full path, NAMESPACE/PROJECT"
    for segment in segments:
        if segment in (".", ".."):
            return f"'{segment}' cannot be part of a path (a URL would resolve it away)"
        if not _SEGMENT.fullmatch(segment) or segment.endswith((".git", ".atom")):
            return f"each part of a path may hold only {_SEGMENT_RULE}"
    return None
