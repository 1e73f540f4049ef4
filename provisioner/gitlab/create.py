"""Creating what GitLab does not create idempotently (variables, projects, runners, deploy tokens,
merge requests, commits): observe again, then decide.

A POST whose answer is lost (a dropped connection, a timeout) or is a 5xx (a proxy in front of a busy
server) may have been carried out all the same. Posting again blindly can make a second runner or
deploy token, so the transport never retries a POST; this loop does, and only after looking: when
the thing is there, the earlier attempt landed and that is the answer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from provisioner.errors import ServerError, Unreachable

T = TypeVar("T")
ATTEMPTS = 4


def create_once(
    post: Callable[[], T], find: Callable[[], T | None], *, attempts: int = ATTEMPTS, pause: float = 0.2
) -> T:
    """`post()` until it answers; after each unknown outcome, `find()` first and stop when it finds.

    Errors from `find()` (reads, already retried by the transport) and any definite refusal from
    `post()` (4xx) propagate unchanged; after `attempts` unknown outcomes, the last one does.
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
