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
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from provisioner.blueprint.manifest_schema import Policy
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

    def to_text(self, *, fast: bool = True) -> str:
        """The lock file's bytes. `fast`: the bases that YAML writes as plain `|` blocks are spliced
        in by hand, the same bytes as ruamel's emitter, which reads every character of them in Python
        and was most of a no-op run's time (every project's expected lock is written to be hashed)."""
        files: dict[str, Any] = {}
        blocks: dict[str, str] = {}
        for path in sorted(self.files):
            locked = self.files[path]
            entry: dict[str, Any] = {
                "policy": locked.policy,
                "sha256": locked.sha256,
                "rendered_sha256": locked.rendered_sha256,
            }
            if locked.base is not None and fast and _plain_block(locked.base):
                marker = f"provisioner-base-{len(blocks)}"
                blocks[marker] = locked.base
                entry["base"] = marker
            elif locked.base is not None and _NOT_IN_A_BLOCK.search(locked.base):
                entry["base"] = locked.base  # quoted with escapes: a block would lose or refuse them
            elif locked.base is not None:
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
        _writer().dump(data, out)
        text = out.getvalue()
        for marker, base in blocks.items():
            text = _splice(text, marker, base)
        return _HEADER + text


# What a literal block cannot carry: line breaks other than \n (read back as \n), and characters YAML
# does not allow unescaped (the whole lock would no longer load) or reads specially (a BOM).
_NOT_IN_A_BLOCK = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _plain_block(text: str) -> bool:
    """Whether YAML writes `text` as a plain literal block (`|`, no indicators, nothing escaped):
    printable ASCII lines without trailing spaces, the first not indented, one final line break."""
    return (
        text.endswith("\n")
        and not text.endswith("\n\n")
        and text[0] not in " \n"
        and text.isascii()
        and all(" " <= ch <= "~" for ch in text.replace("\n", ""))
        and " \n" not in text
    )


def _splice(dumped: str, marker: str, base: str) -> str:
    """Replace the line `<indent>base: <marker>` by the literal block ruamel would have written."""
    at = dumped.index(f"base: {marker}\n")
    indent = " " * (at - dumped.rindex("\n", 0, at) - 1)
    body = "".join(f"{indent}  {line}\n" if line else "\n" for line in base[:-1].split("\n"))
    return dumped[:at] + "base: |\n" + body + dumped[at + len(f"base: {marker}\n") :]


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
        data = _reader().load(text)
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


# One reader and one writer per thread: making a YAML instance searches the disk for plug-ins (a glob),
# which cost more than writing the lock it is made for; an instance is not safe to share between threads.
_per_thread = threading.local()


def _writer() -> YAML:
    yaml: YAML | None = getattr(_per_thread, "writer", None)
    if yaml is None:
        yaml = YAML(typ="rt")
        yaml.width = 4096  # no folding of long values: the same lock always has the same bytes
        yaml.indent(mapping=2, sequence=4, offset=2)
        _per_thread.writer = yaml
    return yaml


def _reader() -> YAML:
    yaml: YAML | None = getattr(_per_thread, "reader", None)
    if yaml is None:
        yaml = _per_thread.reader = YAML(typ="safe")
    return yaml
