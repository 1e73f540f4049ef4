"""Creating what GitLab does not deduplicate (variables, projects, runners, deploy tokens, commits,
merge requests, protection rules, ...), when the answer may be lost: observe again, then decide.

A POST whose answer never came (a dropped connection, a timeout) or came as a 5xx (a proxy in front
of a busy server) may have been carried out all the same. The transport never retries a POST; the
loop here does, and only after looking: when the thing is there, the earlier attempt landed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from provisioner.errors import ServerError, Unreachable
from provisioner.gitlab.api import GitLabApi
from provisioner.secrets import Secret

T = TypeVar("T")
ATTEMPTS = 4


@dataclass(frozen=True)
class IssuedToken:
    """A one-time token GitLab just handed out (runner or deploy token) and the id of its owner.

    The token is a `Secret` from the moment it arrives: remembered for redaction, never printed."""

    id: int
    token: Secret


def create_once(
    post: Callable[[], T], find: Callable[[], T | None], *, attempts: int = ATTEMPTS, pause: float = 0.2
) -> T:
    """`post()`; after an unknown outcome, what `find()` sees, or `post()` again (at most `attempts`).

    A definite refusal (4xx) and errors of `find` (reads, already retried by the transport)
    propagate; after `attempts` unknown outcomes, the last one does.
    """
    attempt = 1
    while True:
        try:
            return post()
        except (Unreachable, ServerError):
            found = find()
            if found is not None:
                return found
            if attempt >= attempts:
                raise
        time.sleep(pause * 2 ** (attempt - 1) * (0.5 + random.random()))
        attempt += 1


def post_once(api: GitLabApi, path: str, data: Mapping[str, Any], *, find: Callable[[], Any | None]) -> Any:
    """POST `data` to `path` with `create_once`."""
    return create_once(lambda: api.post(path, data), find)
