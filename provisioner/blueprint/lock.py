"""The lock file: what the tool rendered into a project, committed next to the scaffolding.

It records the blueprint, its version, the variables and, per file, the hash of the file as committed and
of the rendering it was reconciled with. For `managed` files it also keeps that rendering itself: it is the
base of the next three-way merge, and an old blueprint version cannot be rendered again once the tool has
moved on. The base is stored as plain text in YAML block scalars rather than compressed: a merge request
then shows, readably, what the tool now considers its own version of the file, the bytes do not depend on
a compression library's version (a different encoding of the same lock would be a needless commit), and
only `managed` files need it (a few kilobytes). A second file per base was rejected: copies of
`pyproject.toml` elsewhere in the tree are picked up by tools that scan for them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from provisioner.blueprint.manifest import Policy
from provisioner.errors import ProvisionerError

LOCK_PATH = ".provisioner-lock.yaml"
LOCK_VERSION = 1
_HEADER = "# Written by provisioner: what it rendered here, the base for merging later blueprint versions.\n"


class LockError(ProvisionerError):
    """The lock file is not one this tool wrote (edited by hand, or from a newer version)."""


@dataclass(frozen=True)
class LockedFile:
    policy: Policy
    sha256: str  # the file as of the commit that wrote the lock
    rendered_sha256: str  # the rendering it was reconciled with
    base: str | None = None  # managed files: that rendering, the base of the next three-way merge


@dataclass(frozen=True)
class Lock:
    blueprint: str
    version: str
    variables: Mapping[str, Any]
    files: Mapping[str, LockedFile] = field(default_factory=dict)

    def same_rendering(self, other: Lock) -> bool:
        """Whether both record the same rendering (the files' current hashes aside)."""

        def rendering(
            lock: Lock,
        ) -> tuple[str, str, dict[str, Any], dict[str, tuple[Policy, str, str | None]]]:
            files = {p: (f.policy, f.rendered_sha256, f.base) for p, f in lock.files.items()}
            return (lock.blueprint, lock.version, dict(lock.variables), files)

        return rendering(self) == rendering(other)

    def to_text(self) -> str:
        files: dict[str, Any] = {}
        for path in sorted(self.files):
            locked = self.files[path]
            entry: dict[str, Any] = {
                "policy": locked.policy,
                "sha256": locked.sha256,
                "rendered_sha256": locked.rendered_sha256,
            }
            if locked.base is not None:
                entry["base"] = LiteralScalarString(locked.base)
            files[path] = entry
        data = {
            "lock_version": LOCK_VERSION,
            "blueprint": self.blueprint,
            "version": self.version,
            "variables": {k: self.variables[k] for k in sorted(self.variables)},
            "files": files,
        }
        out = io.StringIO()
        _yaml().dump(data, out)
        return _HEADER + out.getvalue()


class _LockedFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: Policy
    sha256: str
    rendered_sha256: str
    base: str | None = None


class _LockModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lock_version: Literal[1]
    blueprint: str
    version: str
    variables: dict[str, Any]
    files: dict[str, _LockedFileModel]


def parse_lock(text: str) -> Lock:
    try:
        data = YAML(typ="safe").load(text)
        model = _LockModel.model_validate(data)
    except YAMLError as exc:
        raise LockError(f"{LOCK_PATH}: not YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LockError(f"{LOCK_PATH}: {where}: {first['msg']} (restore it from git history)") from None
    files = {
        path: LockedFile(f.policy, f.sha256, f.rendered_sha256, f.base) for path, f in model.files.items()
    }
    return Lock(model.blueprint, model.version, model.variables, files)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # no folding of long values: the same lock always has the same bytes
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
