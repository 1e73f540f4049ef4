"""Each rendered file's policy for one project: the manifest's, changed by the inventory's `blueprint_enforce`.

`blueprint_enforce` is absent (the manifest decides), `true` (also enforce what the manifest marks
`compliance: enforced`), `false` (enforce nothing: enforced files keep the team's edits) or a list of
paths as the manifest writes them (enforce exactly these). Only files rendered whole (`managed` or
`enforced`) switch: a seed is the team's from the start, and enforcing a `managed-keys` file whole would
throw away the team's part of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.blueprint.manifest import Blueprint, did_you_mean
from provisioner.blueprint.manifest_schema import WHOLE_FILE, FileRule, Policy

Enforce = bool | Sequence[str] | None


def policy_for(rule: FileRule, enforce: Enforce) -> Policy:
    if enforce is None or rule.policy not in WHOLE_FILE:
        return rule.policy
    if enforce is True:
        return "enforced" if rule.compliance == "enforced" else rule.policy
    if enforce is False:
        return "managed"
    return "enforced" if rule.path in enforce else "managed"


def recorded_policy(policy: Policy) -> Policy:
    """What the lock records: whether a file is enforced is the inventory's current choice, not a fact
    about what was rendered, so switching it costs no commit (and both keep a merge base)."""
    return "managed" if policy == "enforced" else policy


def enforce_problems(blueprint: Blueprint, enforce: object) -> list[str]:
    """What is wrong with a `blueprint_enforce` list for this blueprint (its type is the schema's job)."""
    if not isinstance(enforce, list | tuple):
        return []
    whole = [rule.path for rule in blueprint.manifest.files if rule.policy in WHOLE_FILE]
    problems = []
    for path in enforce:
        if isinstance(path, str) and path not in whole:
            hint = did_you_mean(path, whole) or f" (it has: {', '.join(whole) or 'none'})"
            problems.append(
                f"{path!r}: not a file blueprint {blueprint.name} renders whole (managed or enforced){hint}"
            )
    return problems
