"""Roles by name, as members and shares are given them (REFERENCE 2.9): GitLab's access levels."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator

from provisioner.inventory.sections import Model

Role = Literal["guest", "planner", "reporter", "developer", "maintainer", "owner"]
"""Planner exists from GitLab 17.7 (`rest:Member.access_level=planner` in gitlab_versions)."""

ROLE_LEVELS: dict[str, int] = {
    "guest": 10,
    "planner": 15,
    "reporter": 20,
    "developer": 30,
    "maintainer": 40,
    "owner": 50,
}
ROLE_NAMES: dict[int, str] = {level: name for name, level in ROLE_LEVELS.items()}

# Gitlab::PathRegex: a namespace path (a username, a group) starts with a letter, digit or `_`.
_PATH_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_USERNAME = re.compile(rf"^{_PATH_PART}$")
_GROUP_PATH = re.compile(rf"^{_PATH_PART}(/{_PATH_PART})*$")


def _username(name: str) -> str:
    if len(name) > 255 or not _USERNAME.match(name):
        raise ValueError(
            "a username is letters, digits, '_', '-' and '.', starting with a letter, digit or '_'"
        )
    return name


def _group_path(path: str) -> str:
    if not _GROUP_PATH.match(path):
        raise ValueError("a group's full path, such as platform/devs")
    return path


Username = Annotated[str, AfterValidator(_username)]
GroupPath = Annotated[str, AfterValidator(_group_path)]


class Grant(Model):
    """A role and, optionally, when it ends."""

    access_level: Role
    expires_at: date | None = None
    """The last day of access (GitLab removes it then); left out, it does not expire. GitLab refuses a
    date in the past."""


def grant_of(entry: Role | Grant) -> Grant:
    """The entry as a `Grant`: a bare role name is that role, without expiry."""
    return entry if isinstance(entry, Grant) else Grant(access_level=entry)


def no_case_duplicates(names: list[str], what: str) -> None:
    """GitLab compares usernames and paths without case: `Alice` and `alice` are one."""
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise ValueError(f"{what} {name!r} is given twice (GitLab ignores case)")
        seen.add(name.lower())
