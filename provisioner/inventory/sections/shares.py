"""`shares` (a project's) and `group_shares` (a group's own): the groups it is shared with."""

from __future__ import annotations

from pydantic import model_validator

from provisioner.inventory.sections import Model
from provisioner.inventory.sections.access import Grant, GroupPath, Role, no_case_duplicates


class Shares(Model):
    """Groups, by full path, that get a role here through sharing (`platform/devs: developer`).

    GitLab cannot change a share's role or expiry in place: such a change replaces the share."""

    groups: dict[GroupPath, Role | Grant] = {}
    prune: bool = False
    """Remove shares with groups the inventory does not name (otherwise they are reported as unmanaged)."""

    @model_validator(mode="after")
    def _unique(self) -> Shares:
        no_case_duplicates(list(self.groups), "group")
        return self
