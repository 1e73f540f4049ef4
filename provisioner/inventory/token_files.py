"""Token files (`token: {file: PATH}` of created runners and deploy tokens): where the tool will write a
one-time token must lie inside the allowed folders (`confine.Roots`), checked where it is written.

A token file's path is relative to the main inventory's folder, whichever file names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path as FilePath
from typing import Any

from provisioner.confine import Roots
from provisioner.errors import InputProblem
from provisioner.inventory.document import Document, Path, format_path

_ISSUERS = (("runners", "create"), ("registry", "deploy_tokens"))


def check_token_files(document: Document, roots: Roots, main_dir: FilePath) -> list[InputProblem]:
    problems = []
    for path, file in _token_files(document.data):
        refused = roots.refusal(file, main_dir / file)
        if refused is not None:
            spot = document.location(path)
            problems.append(
                InputProblem(spot.file, spot.line, spot.column, format_path(path), f"token file {refused}")
            )
    return problems


def _token_files(data: Any) -> Iterator[tuple[Path, str]]:
    if not isinstance(data, dict):
        return
    entries: list[tuple[Path, Any]] = [(("defaults",), data.get("defaults"))]
    for section in ("groups", "projects"):
        named = data.get(section)
        entries += (
            [((section, name), entry) for name, entry in named.items()] if isinstance(named, dict) else []
        )
    for root, entry in entries:
        for owner, key in _ISSUERS:
            parent = entry.get(owner) if isinstance(entry, dict) else None
            items = parent.get(key) if isinstance(parent, dict) else None
            for index, item in enumerate(items if isinstance(items, list) else []):
                token = item.get("token") if isinstance(item, dict) else None
                file = token.get("file") if isinstance(token, dict) else None
                if isinstance(file, str):
                    yield (*root, owner, key, index, "token", "file"), file
