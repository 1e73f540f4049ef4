"""`import` of the protection facet: protected branches (the default branch as `default_branch`) and
protected tags, by level name. A rule with levels the inventory cannot name (several roles, a user or
a group: Premium) is left out with a note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.blueprint.needs import catalogue_needs, covers
from provisioner.facets.base import Description
from provisioner.facets.describing import explicit, read_part
from provisioner.gitlab import protection as api_protection
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.protection import BranchRule, TagRule
from provisioner.inventory.schema import REF_ACCESS_LEVELS, BranchProtection, Protection, TagProtection
from provisioner.model import ProjectRef

LEVEL_NAMES = {value: name for name, value in REF_ACCESS_LEVELS.items()}


@dataclass(frozen=True)
class ProtectionState:
    branches: tuple[BranchRule, ...] | None  # None: could not be read (a note says why)
    tags: tuple[TagRule, ...] | None


def read_protection(api: GitLabApi, ref: ProjectRef, notes: list[str]) -> ProtectionState:
    branches = read_part(notes, "protected branches", lambda: api_protection.protected_branches(api, ref.id))
    tags = read_part(notes, "protected tags", lambda: api_protection.protected_tags(api, ref.id))
    return ProtectionState(
        None if branches is None else tuple(branches), None if tags is None else tuple(tags)
    )


def describe_protection(ref: ProjectRef, state: ProtectionState | None) -> Description:
    out = Description()
    branches: dict[str, BranchProtection] = {}
    for rule in (state.branches if state else None) or ():
        push, merge = level_name(rule.push), level_name(rule.merge)
        if push is None or merge is None:
            out.notes.append(
                f'protection: branch "{rule.name}" has levels the inventory cannot express; unmanaged'
            )
            continue
        branches[rule.name] = BranchProtection(
            push_access_level=push, merge_access_level=merge, allow_force_push=rule.allow_force_push
        )
    tags: dict[str, TagProtection] = {}
    for tag in (state.tags if state else None) or ():
        create = level_name(tag.create)
        if create is None:
            out.notes.append(
                f'protection: tag "{tag.name}" has levels the inventory cannot express; unmanaged'
            )
            continue
        tags[tag.name] = TagProtection(create_access_level=create)
    default = branches.pop(ref.default_branch, None) if ref.default_branch else None
    config = Protection(default_branch=default, branches=branches, tags=tags)
    entry: dict[str, Any] = {}
    if config.default_branch is not None:
        entry["default_branch"] = explicit(config.default_branch)
    if config.branches:
        entry["branches"] = {name: explicit(rule) for name, rule in sorted(config.branches.items())}
    if config.tags:
        entry["tags"] = {name: explicit(rule) for name, rule in sorted(config.tags.items())}
    if state is not None and state.tags is not None and _uncovered_release_tags(config):
        entry["release_tags"] = False  # a plan right after the import protects nothing new
    if entry:
        out.entry["protection"] = entry
    return out


def _uncovered_release_tags(config: Protection) -> bool:
    """Whether some blueprint of the catalogue releases from tags no rule of `config` covers."""
    needed = {needs.release_tags for needs in catalogue_needs() if needs.release_tags}
    return any(not any(covers(name, need) for name in config.tags) for need in needed)


def level_name(levels: frozenset[int]) -> Any:
    """One role level by name; None when there is none, several (Premium) or one without a name."""
    if len(levels) != 1:
        return None
    return LEVEL_NAMES.get(next(iter(levels)))
