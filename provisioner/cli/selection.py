"""What a run works on: the inventory, validated whole, narrowed by `--project` and `--shard`, and the
projects coverage rules bring from GitLab (`engine.coverage`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from provisioner.cli import common
from provisioner.engine import coverage
from provisioner.engine.select import in_shard, parse_shard, select
from provisioner.errors import InputError, InputProblem
from provisioner.inventory.spec import LoadedInventory


@dataclass(frozen=True)
class Selection:
    inventory: LoadedInventory
    projects: Sequence[Any]
    groups: Sequence[Any]
    uncovered: Sequence[str] = ()  # under the inventory's groups, managed by nothing (a finding each)
    path: Path = Path("inventory.yaml")
    patterns: Sequence[str] = ()
    shard: tuple[int, int] | None = None
    require_secrets: bool = True
    blind: Sequence[str] = ()  # groups of coverage rules this token cannot see (a failure each)


def select_targets(
    inventory_path: Path,
    patterns: Sequence[str],
    shard: str | None,
    *,
    url: str | None = None,
    max_rate: int | None = None,
    require_secrets: bool = True,
) -> Selection:
    loaded = loaded_targets(inventory_path, patterns, shard, require_secrets=require_secrets)
    return discovered(loaded, url, max_rate)


def loaded_targets(
    inventory_path: Path, patterns: Sequence[str], shard: str | None, *, require_secrets: bool
) -> Selection:
    """The loader validates everything and applies `--project`; `--shard` splits what it selected.
    Offline: the projects coverage rules bring are added by `discovered`."""
    loaded = common.load(inventory_path, only=patterns, require_secrets=require_secrets)
    try:
        shard_spec = parse_shard(shard) if shard else None
    except ValueError as exc:
        common.fail(f"error: {exc}")
    return Selection(
        loaded,
        select(loaded.projects, (), shard_spec),
        select(loaded.groups, (), shard_spec),
        (),
        inventory_path,
        tuple(patterns),
        shard_spec,
        require_secrets,
    )


def discovered(sel: Selection, url: str | None, max_rate: int | None = None) -> Selection:
    """When the inventory has groups, GitLab is asked which projects live under them (see
    `engine.coverage`): those coverage rules bring become targets, the others are findings."""
    loaded, patterns = sel.inventory, sel.patterns
    if not (loaded.coverage or (loaded.groups_named and loaded.uncovered == "report")):
        return sel
    found = _discover(loaded, url, max_rate)
    if found.covered:
        loaded = common.load(
            sel.path, only=patterns, require_secrets=sel.require_secrets, covered=found.covered
        )
    uncovered = [
        p for p in found.uncovered if not patterns or any(fnmatchcase(p.lower(), x.lower()) for x in patterns)
    ]
    unmatched = [x for x in loaded.deferred if not any(fnmatchcase(p.lower(), x.lower()) for p in uncovered)]
    if unmatched:
        problem = "no project or group matches '{}'"
        raise InputError([InputProblem(str(sel.path), 0, 0, "", problem.format(x)) for x in unmatched])
    blind = [
        g for g in found.blind if not patterns or any(fnmatchcase(g.lower(), x.lower()) for x in patterns)
    ]
    if sel.shard is not None:
        uncovered = [p for p in uncovered if in_shard(p, *sel.shard)]
        blind = [g for g in blind if in_shard(g, *sel.shard)]
    return replace(
        sel,
        inventory=loaded,
        projects=select(loaded.projects, (), sel.shard),
        groups=select(loaded.groups, (), sel.shard),
        uncovered=uncovered,
        blind=blind,
    )


def _discover(loaded: LoadedInventory, url: str | None, max_rate: int | None) -> coverage.Found:
    api = common.connect(common.settings(url, max_rate=max_rate))
    try:
        found = coverage.discover(api, loaded)
    finally:
        api.close()
    for group in (g for g in found.unseen if g not in found.blind):
        common.err(
            f"warning: group {group} of the inventory is not visible to this token: its projects are not looked for"
        )
    return found
