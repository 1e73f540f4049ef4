"""One rate limiter shared by every worker thread of a run.

GitLab says how much budget is left (`RateLimit-Remaining`, `RateLimit-Reset`) and, once it is spent,
how long to wait (`429` + `Retry-After`). Every worker reads and feeds the same limiter, so when one
worker learns that the budget is gone, all of them wait, instead of each one burning a request to
find out.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Keep this many requests of the budget in hand for requests already in flight.
_HEADROOM = 2
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wait:
    """A pause of the run's requests, as the log and the progress line say it."""

    seconds: float
    reason: str  # "GitLab's rate limit (RateLimit-Reset)", "retry 1 of 5: GET /api/v4/version failed (...)"

    def __str__(self) -> str:
        # Rounded up: a pause is never said shorter than it is, nor as "0 s".
        amount = (
            f"{math.ceil(self.seconds * 10) / 10:.1f}" if self.seconds < 10 else f"{math.ceil(self.seconds)}"
        )
        return f"waiting {amount} s for {self.reason}"


class RateLimiter:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 120.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._remaining: int | None = None
        self._reset_at = 0.0
        self._in_flight = 0
        self.waited_seconds = 0.0  # total time workers spent waiting, for reports and benchmarks
        self.throttled = 0  # number of 429 answers seen
        self.listeners: list[Callable[[Wait], None]] = []  # told of every pause (the progress line)
        self._pause_reason = "Retry-After"
        self._announced = 0.0  # the end of the last pause said: every worker waits for it, said once

    def pause(self, wait: Wait, *, announce: bool = True) -> None:
        """Log the pause, tell the listeners, then sleep through it."""
        if announce:
            log.info("%s", wait)
            for listener in self.listeners:
                listener(wait)
        self._sleep(wait.seconds)

    def acquire(self) -> None:
        """Block until a request may be sent, then count it as in flight."""
        while True:
            with self._lock:
                now = self._clock()
                wait, until, header = self._paused_until - now, self._paused_until, self._pause_reason
                budget_spent = self._remaining is not None and self._remaining - self._in_flight <= _HEADROOM
                if wait <= 0 and budget_spent and self._reset_at > now:
                    wait, until, header = self._reset_at - now, self._reset_at, "RateLimit-Reset"
                if wait <= 0:
                    self._in_flight += 1
                    return
                wait = min(wait, self._max_wait)
                self.waited_seconds += wait
                announce, self._announced = until != self._announced, until
            self.pause(Wait(wait, f"GitLab's rate limit ({header})"), announce=announce)

    def release(self, status: int | None, headers: Mapping[str, str]) -> float:
        """Record an answer. Returns how long to wait before retrying when it was a 429, else 0."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            now = self._clock()
            remaining = _int(headers.get("RateLimit-Remaining"))
            reset = _int(headers.get("RateLimit-Reset"))
            if remaining is not None and reset is not None:
                self._remaining, self._reset_at = remaining, float(reset)
            if status != 429:
                return 0.0
            self.throttled += 1
            delay = _retry_after(headers, now)
            self._pause_reason = "Retry-After" if delay is not None else "RateLimit-Reset"
            if delay is None:
                delay = max(1.0, self._reset_at - now) if self._reset_at > now else 1.0
            self._paused_until = max(self._paused_until, now + delay)
            return delay


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None
