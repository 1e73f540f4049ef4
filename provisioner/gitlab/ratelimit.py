"""One rate limiter shared by every worker thread of a run: it paces the run's requests.

GitLab says its limit and how much of it is left (`RateLimit-Limit`, per minute; `RateLimit-Remaining`
and `RateLimit-Reset`, the Unix time the window ends) and, once the budget is spent, how long to wait
(`429` + `Retry-After`) [G:lib/gitlab/rack_attack.rb `throttled_response_headers`]. Rather than
bursting through a window's budget and then waiting for its end (or for 429s), every request takes
the next slot of one shared schedule, spaced by the slowest of: the team's `--max-rate`, GitLab's
limit (a little under it: windows are fixed and requests are in flight), and what is left of this
window spread over the time left (someone else spends the same budget). Every worker reads and feeds
the same limiter, so when one learns something, all of them act on it.
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
# Pace to this share of GitLab's limit: its windows are fixed, so a steady rate right at the limit
# puts one request too many in some windows, and answers arrive out of the order they were sent in.
_SHARE_OF_LIMIT = 0.95
# Pacing waits are short and many: one of a second or more is said, at most once in this many seconds.
_PACE_NOTICE_EVERY = 10.0
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
        max_per_minute: int | None = None,
    ) -> None:
        if max_per_minute is not None and max_per_minute < 1:
            raise ValueError("max_per_minute must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self.max_per_minute = max_per_minute  # the team's ceiling (--max-rate), whatever GitLab allows
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._limit: int | None = None  # RateLimit-Limit, per minute
        self._remaining: int | None = None
        self._reset_at = 0.0
        self._in_flight = 0
        self._next_slot = 0.0  # the earliest time the next request may be sent
        self.waited_seconds = 0.0  # total time workers spent waiting, for reports and benchmarks
        self.throttled = 0  # number of 429 answers seen
        self.listeners: list[Callable[[Wait], None]] = []  # told of every pause (the progress line)
        self._pause_reason = "Retry-After"
        self._announced = 0.0  # the end of the last pause said: every worker waits for it, said once
        self._pace_noticed = -math.inf

    def pause(self, wait: Wait, *, announce: bool = True) -> None:
        """Log the pause, tell the listeners, then sleep through it."""
        if announce:
            log.info("%s", wait)
            for listener in self.listeners:
                listener(wait)
        self._sleep(wait.seconds)

    def acquire(self) -> None:
        """Block until this request's slot comes (and no pause holds the run), then count it as in
        flight."""
        slot: float | None = None
        while True:
            with self._lock:
                now = self._clock()
                held = self._held(now)
                if held is None:
                    if slot is None:
                        slot = self._take_slot(now)
                    if slot <= now:
                        self._in_flight += 1
                        return
                    wait, reason = slot - now, self._pace_reason()
                    announce = wait >= 1.0 and now - self._pace_noticed >= _PACE_NOTICE_EVERY
                    self._pace_noticed = now if announce else self._pace_noticed
                else:
                    wait, until, header = held
                    # After a pause every worker queues anew, from its end: no burst when it ends.
                    slot, self._next_slot = None, max(self._next_slot, until)
                    wait, reason = min(wait, self._max_wait), f"GitLab's rate limit ({header})"
                    announce, self._announced = until != self._announced, until
                self.waited_seconds += wait
            self.pause(Wait(wait, reason), announce=announce)

    def release(self, status: int | None, headers: Mapping[str, str]) -> float:
        """Record an answer. Returns how long to wait before retrying when it was a 429, else 0."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            now = self._clock()
            remaining = _int(headers.get("RateLimit-Remaining"))
            reset = _int(headers.get("RateLimit-Reset"))
            if remaining is not None and reset is not None:
                self._remaining, self._reset_at = remaining, float(reset)
            limit = _int(headers.get("RateLimit-Limit"))
            if limit is not None and limit > 0:
                self._limit = limit
            if status != 429:
                return 0.0
            self.throttled += 1
            delay = _retry_after(headers, now)
            self._pause_reason = "Retry-After" if delay is not None else "RateLimit-Reset"
            if delay is None:
                delay = max(1.0, self._reset_at - now) if self._reset_at > now else 1.0
            self._paused_until = max(self._paused_until, now + delay)
            return delay

    # -- under the lock ------------------------------------------------------------------------
    def _held(self, now: float) -> tuple[float, float, str] | None:
        """(seconds, until, header) of what holds every request: a 429's pause, or a spent budget."""
        if self._paused_until > now:
            return self._paused_until - now, self._paused_until, self._pause_reason
        spent = self._remaining is not None and self._remaining - self._in_flight <= _HEADROOM
        if spent and self._reset_at > now:
            return self._reset_at - now, self._reset_at, "RateLimit-Reset"
        return None

    def _take_slot(self, now: float) -> float:
        """The next free slot of the schedule, reserved. Never earlier than now: time nobody used is
        not saved up for a burst."""
        slot = max(now, self._next_slot)
        gap = self._steady_gap()
        if self._remaining is not None and self._reset_at > slot:
            left = self._remaining - self._in_flight - _HEADROOM
            if left > 0:
                # What is left of this window spread over its time left, but no gap past its end:
                # the next window brings a new budget.
                gap = max(gap, min((self._reset_at - now) / left, self._reset_at - slot))
        # A gap longer than any pause we accept is a header to distrust (a Reset years away).
        self._next_slot = slot + min(gap, self._max_wait)
        return slot

    def _steady_gap(self) -> float:
        """Seconds between two requests at the slower of --max-rate and GitLab's limit."""
        rates = [float(self.max_per_minute)] if self.max_per_minute else []
        if self._limit:
            rates.append(self._limit * _SHARE_OF_LIMIT)
        return 60.0 / min(rates) if rates else 0.0

    def _pace_reason(self) -> str:
        if self.max_per_minute and self._steady_gap() >= 60.0 / self.max_per_minute:
            return f"the request pace ({self.max_per_minute}/min, --max-rate)"
        return f"GitLab's rate limit (RateLimit-Limit {self._limit}/min, RateLimit-Remaining)"


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
