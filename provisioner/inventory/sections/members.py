"""`members` (a project's) and `group_members` (a group's own): direct members by username."""

from __future__ import annotations

from pydantic import model_validator

from provisioner.inventory.sections import Model
from provisioner.inventory.sections.access import Grant, Role, Username, no_case_duplicates


class Members(Model):
    """Direct members by username: a role (`alice: developer`) or a role and an expiry.

    Members inherited from groups above are not the target's own and are never compared."""

    users: dict[Username, Role | Grant] = {}
    prune: bool = False
    """Remove direct members the inventory does not name (otherwise they are reported as unmanaged).
    The token's own user, and a group's last Owner, are never removed."""

    @model_validator(mode="after")
    def _unique(self) -> Members:
        no_case_duplicates(list(self.users), "user")
        return self
