"""Which projects a run covers: `--project` filters and `--shard K/N`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import TypeVar

from provisioner.inventory.spec import GroupSpec, ProjectSpec

T = TypeVar("T", ProjectSpec, GroupSpec)
_SHARD = re.compile(r"^(\d+)/(\d+)$")


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL are 1-based too)."""
    match = _SHARD.match(text.strip())
    if not match:
        raise ValueError(f"--shard must look like K/N (for example 2/8), not {text!r}")
    index, total = int(match[1]), int(match[2])
    if not 1 <= index <= total:
        raise ValueError(f"--shard {text}: K must be between 1 and N")
    return index, total


def in_shard(path: str, index: int, total: int) -> bool:
    """Stable across runs and machines, and a project stays in its shard when others are added."""
    digest = hashlib.sha256(path.encode()).digest()
    return int.from_bytes(digest[:8], "big") % total == index - 1


def select(items: Sequence[T], patterns: Sequence[str] = (), shard: tuple[int, int] | None = None) -> list[T]:
    chosen = [i for i in items if not patterns or any(fnmatchcase(i.path, p) for p in patterns)]
    if shard is not None:
        chosen = [i for i in chosen if in_shard(i.path, *shard)]
    return chosen
