"""Creating things whose POST GitLab does not deduplicate, when the answer may be lost.

The transport never retries a POST whose outcome is unknown (it raises `Unreachable`): the caller
looks first, and posts again only if nothing landed. One more attempt, never a loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.errors import Unreachable
from provisioner.gitlab.transport import GitLabApi
from provisioner.secrets import Secret


@dataclass(frozen=True)
class IssuedToken:
    """A one-time token GitLab just handed out (runner or deploy token) and the id of its owner.

    The token is a `Secret` from the moment it arrives: remembered for redaction, never printed."""

    id: int
    token: Secret


def post_once(api: GitLabApi, path: str, data: Mapping[str, Any], *, find: Callable[[], Any | None]) -> Any:
    """POST `data`; on an unknown outcome, return what `find` sees, or POST one more time."""
    try:
        return api.post(path, data)
    except Unreachable:
        found = find()
        if found is not None:
            return found
        return api.post(path, data)
