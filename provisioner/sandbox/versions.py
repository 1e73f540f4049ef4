"""Which GitLab the sandbox is serving, asked of provisioner.gitlab_versions (the one table of what
exists when; the sandbox's only import from the product, as it is knowledge of GitLab, not code of the
tool). `State.version` holds what `GET /version` answers, e.g. `18.6.0-ee` or `17.4.0`."""

from __future__ import annotations

from functools import lru_cache

from provisioner.gitlab_versions import FEATURES, Version, available, flagged_off
from provisioner.sandbox.state import State


@lru_cache(maxsize=64)
def served(version: str) -> Version:
    return Version.parse(version)


def has(state: State, name: str) -> bool:
    """Whether the served GitLab has the feature `name` (a name the table does not hold: yes)."""
    return available(name, served(state.version))


def flag_off(state: State, name: str) -> str | None:
    """The feature flag that hides `name` on the served version by default, or None."""
    return flagged_off(name, served(state.version))


def route_feature(method: str, template: str) -> str | None:
    """The table's name for a REST route, e.g. `rest:GET /projects/:id/packages/protection/rules`."""
    name = f"rest:{method} {template.removeprefix('/api/v4')}"
    return name if name in FEATURES else None


def enterprise(state: State) -> bool:
    return served(state.version).edition == "ee"
