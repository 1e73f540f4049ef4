"""What makes the sandbox an unreliable network on purpose: latency, a rate limiter, injected faults.

Every random choice comes from RNGs seeded with `--random-seed`, so a run is reproducible.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

KINDS = ("error", "drop_before", "drop_after", "timeout", "throttle")
# `throttle` (429, not processed, Retry-After: 1) only when asked for: a rate limit is not a fault.
DEFAULT_KINDS = ("error", "drop_before", "drop_after", "timeout")
ERROR_STATUSES = {500: "500 Internal Server Error", 502: "502 Bad Gateway", 503: "503 Service Unavailable"}


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 500


@dataclass
class ScriptedFault:
    """Fault the next `times` requests to `route` (a counter key, or "*"), after letting `after` through."""

    route: str
    kind: str
    times: int = 1
    after: int = 0
    status: int = 500


class FaultInjector:
    def __init__(self, rate: float = 0.0, seed: int | None = None, timeout_seconds: float = 10.0) -> None:
        self.rate = rate
        self.kinds: tuple[str, ...] = DEFAULT_KINDS
        self.timeout_seconds = timeout_seconds
        self.script: list[ScriptedFault] = []
        self._rng = random.Random(seed)
        self.injected = 0

    def configure(self, body: Mapping[str, Any]) -> None:
        """Runtime control (`POST /-/sandbox/faults`); raises ValueError on a bad body."""
        kinds = tuple(body.get("kinds") or self.kinds)
        if unknown := [k for k in kinds if k not in KINDS]:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(KINDS)}")
        rate = float(body.get("rate", self.rate))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        script = [_scripted(entry) for entry in body.get("script") or []]
        if "seed" in body:
            self._rng = random.Random(body["seed"])
        self.rate, self.kinds = rate, kinds
        self.timeout_seconds = float(body.get("timeout_seconds", self.timeout_seconds))
        if "script" in body:
            self.script = script

    def decide(self, route_key: str) -> Fault | None:
        for entry in self.script:
            if entry.route not in (route_key, "*") or entry.times <= 0:
                continue
            if entry.after > 0:
                entry.after -= 1
                continue
            entry.times -= 1
            self.injected += 1
            return Fault(entry.kind, entry.status)
        self.script = [e for e in self.script if e.times > 0]
        if self.rate <= 0.0 or self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        self.injected += 1
        return Fault(kind, self._rng.choice(sorted(ERROR_STATUSES)) if kind == "error" else 500)

    def describe(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "timeout_seconds": self.timeout_seconds,
            "script": [vars(e) for e in self.script],
            "injected": self.injected,
        }


def _scripted(entry: Mapping[str, Any]) -> ScriptedFault:
    if not isinstance(entry, Mapping) or "route" not in entry or entry.get("kind") not in KINDS:
        raise ValueError(f"a script entry needs a route and a kind in {list(KINDS)}: {entry!r}")
    status = int(entry.get("status", 500))
    if entry["kind"] == "error" and status not in ERROR_STATUSES:
        raise ValueError(f"status must be one of {sorted(ERROR_STATUSES)}")
    return ScriptedFault(
        str(entry["route"]),
        str(entry["kind"]),
        int(entry.get("times", 1)),
        int(entry.get("after", 0)),
        status,
    )


class Latency:
    """Mean `ms` milliseconds per request, uniformly jittered by +-50% from a seeded RNG."""

    def __init__(self, ms: float = 0.0, seed: int | None = None) -> None:
        self.ms = ms
        self._rng = random.Random(seed)

    def next_delay(self) -> float:
        if self.ms <= 0:
            return 0.0
        return self.ms * self._rng.uniform(0.5, 1.5) / 1000.0


@dataclass(frozen=True)
class Throttle:
    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Rack::Attack's `throttle_authenticated_api`, per token, in fixed one-minute windows.

    Fixed windows (not sliding) as Rack::Attack counts: the budget resets at the minute boundary,
    which is what `RateLimit-Reset` announces (REFERENCE 1.7).

    GitLab says `RateLimit-*` on a throttled answer (the 429) only [G:lib/gitlab/rack_attack.rb
    `throttled_response_headers`]. On other answers it says them only behind the feature flag
    `rate_limiting_headers_for_unthrottled_requests` (18.6, off by default)
    [G:lib/gitlab/middleware/rack_attack_headers.rb]; REFERENCE 1.7 says "on every answer", GitLab's
    source wins. `every_answer` models an instance with that flag on.
    """

    NAME = "throttle_authenticated_api"

    def __init__(
        self,
        per_minute: int | None = None,
        clock: Callable[[], float] = time.time,
        window: float = 60.0,
        every_answer: bool = False,
    ) -> None:
        self.per_minute = per_minute
        self.every_answer = every_answer
        self.clock = clock
        self.window = window  # seconds; shorter windows let tests see whole throttling cycles quickly
        self._windows: dict[str, tuple[int, int]] = {}
        self.throttled = 0

    def hit(self, key: str) -> Throttle | None:
        """Count one request for `key`; None when no limit is set."""
        limit = self.per_minute
        if not limit:
            return None
        now = self.clock()
        window = int(now // self.window)
        start, count = self._windows.get(key, (window, 0))
        count = count + 1 if start == window else 1
        self._windows[key] = (window, count)
        reset = (window + 1) * self.window
        headers = {
            "RateLimit-Name": self.NAME,
            # Said per minute whatever the window, rounded up [G:lib/gitlab/rack_attack.rb
            # `throttled_response_headers`]: a 1 s window of 30 is said as 1800.
            "RateLimit-Limit": str(math.ceil(limit * 60.0 / self.window)),
            "RateLimit-Observed": str(count),
            "RateLimit-Remaining": str(max(0, limit - count)),
            "RateLimit-Reset": str(math.ceil(reset)),
        }
        if count <= limit:
            return Throttle(True, headers if self.every_answer else {})
        self.throttled += 1
        headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
        headers["RateLimit-ResetTime"] = formatdate(reset, usegmt=True)
        return Throttle(False, headers)

    def reset(self, per_minute: int | None, every_answer: bool = False) -> None:
        self.per_minute = per_minute or None
        self.every_answer = every_answer
        self._windows.clear()
