"""Read the inventory file and every file it includes, in order.

`include` holds glob patterns relative to the including file (`**` allowed); the matches of one
pattern are taken in sorted order. Included files may include more. A file already read is not read
again, but a file that includes itself, directly or through others, is an error naming the chain.
Every file read lies inside the main inventory's folder or an allowed root (`confine.Roots`): a
pattern that starts outside is refused before anything is listed, a match a link leads out is not read.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from provisioner.confine import Roots
from provisioner.errors import InputProblem
from provisioner.inventory.document import Document, format_path, read_document, read_document_quickly


@dataclass
class InventoryFiles:
    read_order: list[Document] = field(default_factory=list)
    """The main file first, then each included file when it is first met (depth first)."""
    precedence: list[Document] = field(default_factory=list)
    """Weakest first: a file's includes, in order, come before the file itself (as in GitLab CI)."""
    problems: list[InputProblem] = field(default_factory=list)


def read_inventory_files(
    main: FilePath, roots: Roots | None = None, *, quick: bool = False
) -> InventoryFiles:
    """`quick`: without positions where a file allows it (see `read_document_quickly`). `roots`: where
    included files may be (default: the main file's folder)."""
    files = InventoryFiles()
    _read(files, str(main), roots or Roots.of(main), chain=(), seen=set(), quick=quick)
    return files


def _read(
    files: InventoryFiles,
    shown: str,
    roots: Roots,
    chain: tuple[tuple[FilePath, str], ...],
    seen: set[FilePath],
    *,
    quick: bool,
) -> None:
    identity = FilePath(shown).resolve()
    seen.add(identity)
    document = read_document_quickly(FilePath(shown), shown) if quick else None
    problems: list[InputProblem] = []
    if document is None:
        document, problems = read_document(FilePath(shown), shown)
    files.read_order.append(document)
    files.problems.extend(problems)
    chain = (*chain, (identity, shown))
    patterns = document.data.get("include") if isinstance(document.data, dict) else None
    for index, pattern in enumerate(patterns if isinstance(patterns, list) else []):
        if not isinstance(pattern, str) or not pattern:
            continue  # the schema check reports it
        where = ("include", index)
        refused = _refusal(shown, pattern, roots)
        if refused is not None:
            files.problems.append(_problem(document, where, refused))
            continue
        matches = _matches(shown, pattern)
        if not matches:
            files.problems.append(_problem(document, where, f"no file matches '{pattern}'"))
        for match in matches:
            if not roots.contains(FilePath(match)):
                message = (
                    f"'{pattern}' matches {match}, which a symbolic link leads out of the allowed folders"
                )
                files.problems.append(_problem(document, where, message))
                continue
            target = FilePath(match).resolve()
            cycle_start = next((i for i, (path, _) in enumerate(chain) if path == target), None)
            if cycle_start is not None:
                names = [name for _, name in chain[cycle_start:]] + [match]
                files.problems.append(_problem(document, where, f"include cycle: {' -> '.join(names)}"))
            elif target not in seen:
                _read(files, match, roots, chain, seen, quick=quick)
    files.precedence.append(document)


def _refusal(including: str, pattern: str, roots: Roots) -> str | None:
    """Why `pattern` may not be listed at all: it starts outside the roots (`../`, absolute, `~`), or
    climbs out after a wildcard (`*/../..`), which would list folders nobody allowed."""
    parts = pattern.split("/")
    literal = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    if ".." in parts[literal:]:
        return f"'{pattern}': '..' after a wildcard is not allowed"
    start = os.path.join(os.path.dirname(including), "/".join(parts[:literal]))
    return roots.refusal(pattern, FilePath(start or "."))


def _matches(including: str, pattern: str) -> list[str]:
    base = os.path.dirname(including)
    found = glob.glob(os.path.join(base, pattern), recursive=True)
    return sorted(os.path.normpath(path) for path in found if os.path.isfile(path))


def _problem(document: Document, where: tuple[str, int], message: str) -> InputProblem:
    spot = document.location(where)
    return InputProblem(spot.file, spot.line, spot.column, format_path(where), message)
