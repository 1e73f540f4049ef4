"""A plan saved by `plan --out` and applied by `apply --plan`.

Besides the changes, the file records what they were computed from: the GitLab URL, the inventory's
digest, the selection (`--project`, `--shard`: applied again as it was) and keyed fingerprints of the
secret values (`provisioner.fingerprints`). `apply --plan` refuses the whole plan, naming what moved,
when any of these changed, or when GitLab no longer gives the same changes for some target: nothing
is written then, to any target.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from provisioner import fingerprints
from provisioner.cli import common
from provisioner.facets import registered
from provisioner.facets.base import PlanOptions
from provisioner.inventory.spec import TargetSpec
from provisioner.model import RunResult
from provisioner.report import json_report
from provisioner.secrets import Secret

Changes = dict[str, list[Mapping[str, Any]]]


@dataclass(frozen=True)
class SavedPlan:
    path: Path
    data: Mapping[str, Any]

    @property
    def patterns(self) -> list[str]:
        return [str(p) for p in (self.data.get("selection") or {}).get("projects") or ()]

    @property
    def shard(self) -> str | None:
        shard = (self.data.get("selection") or {}).get("shard")
        return str(shard) if shard else None

    @property
    def expected(self) -> Changes:
        return {p["project"]: list(p.get("changes", [])) for p in self.data.get("projects", [])}

    @property
    def options(self) -> PlanOptions:
        return PlanOptions(rotate=bool(self.data.get("rotate")))

    def refuse(self, reason: str) -> NoReturn:
        common.fail(f"error: refusing to apply {self.path}: {reason}. Nothing was written: run plan again.")


def secret_values(targets: Sequence[TargetSpec]) -> dict[str, dict[str, Secret]]:
    """By target name: the secret values its facets' changes carry (`Facet.secrets`)."""
    found = {
        target.name: {
            field: value
            for facet in registered()
            if facet.kind is target.kind and facet.wants(target)
            for field, value in facet.secrets(target).items()
        }
        for target in targets
    }
    return {name: fields for name, fields in found.items() if fields}


def extras(targets: Sequence[TargetSpec], patterns: Sequence[str], shard: str | None) -> dict[str, Any]:
    """What `plan --out` records beyond the changes."""
    out: dict[str, Any] = {"selection": {"projects": list(patterns), "shard": shard}}
    values = secret_values(targets)
    if values:
        key = fingerprints.plan_key()
        prints = fingerprints.of_values(key, values)
        out["secrets"] = {"key_id": fingerprints.key_id(key), "fingerprints": prints}
    return out


def read(path: Path) -> SavedPlan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        common.fail(f"error: cannot read plan {path}: {exc}")
    if not isinstance(data, dict) or data.get("format") != json_report.FORMAT or data.get("mode") != "plan":
        common.fail(f"error: {path} is not a plan saved by `provisioner plan --out`")
    return SavedPlan(path, data)


def selection(saved: SavedPlan, patterns: Sequence[str], shard: str | None) -> tuple[list[str], str | None]:
    """The plan's own selection; one given on the command line must be the same."""
    if (patterns or shard) and (list(patterns), shard) != (saved.patterns, saved.shard):
        made = " ".join(
            [
                *(f"--project {p}" for p in saved.patterns),
                *([f"--shard {saved.shard}"] if saved.shard else []),
            ]
        )
        saved.refuse(f"it was made for {made or 'the whole inventory'}; leave --project and --shard out")
    return saved.patterns, saved.shard


def check_inputs(saved: SavedPlan, targets: Sequence[TargetSpec], gitlab_url: str, digest: str) -> None:
    """Offline: the same GitLab, inventory, targets and secret values as when the plan was made."""
    data = saved.data
    if data.get("gitlab_url") != gitlab_url:
        saved.refuse(f"it was made for {data.get('gitlab_url')}, not {gitlab_url}")
    if data.get("inventory_digest") != digest:
        saved.refuse("the inventory has changed since")
    missing = sorted(t.name for t in targets if t.name not in saved.expected)
    if missing:
        saved.refuse(f"it does not cover {', '.join(missing[:5])}")
    recorded = data.get("secrets") or {}
    values = secret_values(targets)
    if not recorded:
        if values:
            saved.refuse("it records no fingerprints of the secret values (an older provisioner made it)")
        return
    key = fingerprints.plan_key()
    if recorded.get("key_id") != fingerprints.key_id(key):
        saved.refuse(
            "its secrets were fingerprinted with another plan key (plan and apply on different machines: "
            f"give both the same {fingerprints.KEY_ENV})"
        )
    everyone = {t.name: values.get(t.name, {}) for t in targets}  # a secret the plan had may be gone
    moved = fingerprints.changed(key, everyone, recorded.get("fingerprints") or {})
    if moved:
        more = f" (and {len(moved) - 1} more)" if len(moved) > 1 else ""
        saved.refuse(f"the secret value of {moved[0]} changed since the plan was made{more}")


def check_changes(saved: SavedPlan, now: RunResult) -> None:
    """GitLab gives every target the changes the plan shows, or the plan is refused whole."""
    expected = saved.expected
    found = []
    for result in now.projects:
        difference = first_difference(
            result.project, expected.get(result.project, []), [c.public() for c in result.pending]
        )
        if difference is not None:
            found.append(difference)
    if found:
        more = f" (and {len(found) - 1} more targets)" if len(found) > 1 else ""
        saved.refuse(f"GitLab changed since the plan was made: {found[0]}{more}")


def first_difference(
    target: str, saved: Sequence[Mapping[str, Any]], now: Sequence[Mapping[str, Any]]
) -> str | None:
    """Display-safe: the first field in which the changes planned now differ from the saved ones."""
    old = {(c["facet"], c["target"]): c for c in saved}
    new = {(c["facet"], c["target"]): c for c in now}
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        where = f"{target}: {key[0]}: {key[1]}"
        if after is None:
            return f"{where}: no longer to be done"
        if before is None:
            return f"{where}: to be done now ({after['action']}), and not in the plan"
        return f"{where}: {_field(before, after)}"
    return None


def _field(saved: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    if saved["action"] != now["action"]:
        return f"the plan says {saved['action']}, now it is {now['action']}"
    for side, verb in (("before", "GitLab had"), ("after", "the inventory asks")):
        was, is_ = saved.get(side) or {}, now.get(side) or {}
        for name in sorted({*was, *is_}):
            if was.get(name) != is_.get(name):
                return f"{name}: {verb} {json.dumps(was.get(name))} when planned, {json.dumps(is_.get(name))} now"
    return "its content changed"
