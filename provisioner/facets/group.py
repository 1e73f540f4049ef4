"""The group itself, the anchor of the group facets (`group_variables`): found by path. The inventory
never creates a group this way (`bootstrap --create-groups` creates a new project's namespace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.gitlab import groups
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import GroupSpec
from provisioner.model import Change, GroupRef, TargetKind


class GroupAnchor:
    kind = TargetKind.GROUP

    def find(self, api: GitLabApi, spec: GroupSpec) -> GroupRef | None:
        return groups.find_ref(api, spec.path)

    def creation(self, spec: GroupSpec) -> Change | None:
        return None

    def create(self, api: GitLabApi, spec: GroupSpec) -> None:
        raise NotImplementedError("groups are not created from the inventory")

    def update(self, api: GitLabApi, group: GroupRef, attributes: Mapping[str, Any]) -> None:
        raise NotImplementedError("no group facet sets attributes of the group itself")

    def missing(self, spec: GroupSpec) -> str:
        return "group not found, or not visible to this token"
