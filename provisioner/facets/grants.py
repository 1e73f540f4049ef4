"""Pure helpers shared by the facets that grant a role (members, shares): what the inventory asks, in
GitLab's numbers, and how a grant is shown.

A grant is a role and an optional last day. The inventory names roles (`developer`); GitLab speaks
levels (30). Planner (15) exists from GitLab 17.7: asked of an older server, it is a finding of its
own kind ("needs GitLab 17.7"), never a write GitLab would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provisioner.facets.base import Description, unsupported
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.access import ROLE_LEVELS, ROLE_NAMES, Grant, Role, grant_of
from provisioner.model import Action, Change

PLANNER = ROLE_LEVELS["planner"]


@dataclass(frozen=True)
class Wanted:
    """One grant the inventory asks for, by the name it is given under (a username, a group path)."""

    name: str
    level: int
    expires_at: date | None

    @property
    def key(self) -> str:
        return self.name.lower()  # GitLab ignores case in usernames and paths


def wanted(entries: Mapping[str, Role | Grant]) -> list[Wanted]:
    found = []
    for name, entry in sorted(entries.items()):
        grant = grant_of(entry)
        found.append(Wanted(name, ROLE_LEVELS[grant.access_level], grant.expires_at))
    return found


def shown(level: int, expires_at: date | None) -> dict[str, Any]:
    """A grant as plans show it: the role by name (a level without one, as GitLab's number)."""
    return {
        "access_level": ROLE_NAMES.get(level, level),
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


def too_new(facet: str, target: str, want: Wanted, feature: str, server: Version) -> Change | None:
    """The finding for a Planner grant on a GitLab older than 17.7, else None."""
    return unsupported(facet, target, feature, server) if want.level == PLANNER else None


def expired(facet: str, target: str, want: Wanted, today: date) -> Change | None:
    """A grant whose last day has passed is not given (GitLab refuses a date in the past): a notice."""
    if want.expires_at is None or want.expires_at >= today:
        return None
    note = f"expired on {want.expires_at.isoformat()}: not given (GitLab refuses a date in the past)"
    return Change(facet, target, Action.UNMANAGED, after={"note": note})


def entry_of(level: int, expires_at: date | None) -> Any:
    """What `import` writes: the role's name, or the role and its expiry; None for a level the
    inventory has no name for (Minimal Access)."""
    name = ROLE_NAMES.get(level)
    if name is None:
        return None
    return name if expires_at is None else {"access_level": name, "expires_at": expires_at.isoformat()}


def described(section: str, key: str, grants: Iterable[tuple[str, int, date | None]]) -> Description:
    """What `import` writes for `section`: `{key: {name: entry}}` of (name, access level, expiry)
    grants, by name; a level the inventory cannot name is a note, left unmanaged."""
    out = Description()
    entries: dict[str, Any] = {}
    for name, level, expires_at in sorted(grants, key=lambda grant: grant[0].lower()):
        entry = entry_of(level, expires_at)
        if entry is None:
            out.notes.append(
                f"{section}: {name} has access level {level}, which the inventory cannot name; unmanaged"
            )
            continue
        entries[name] = entry
    if entries:
        out.entry[section] = {key: entries}
    return out
