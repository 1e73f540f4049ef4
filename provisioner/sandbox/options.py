"""How a sandbox runs (options from the command line) and what it keeps while running (Runtime)."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.sandbox.faults import FaultInjector, Latency, RateLimiter
from provisioner.sandbox.state import State


@dataclass(frozen=True)
class SandboxOptions:
    seed: str = "empty"  # "empty" or "demo"
    state_file: Path | None = None
    latency_ms: float = 0.0
    rate_limit: int | None = None  # requests per minute per token
    fault_rate: float = 0.0
    random_seed: int | None = None
    admin_token: str | None = None  # generated when not given
    fault_timeout_seconds: float = 10.0


class Counters:
    """Requests received by the API (never the `/-/sandbox/*` admin routes)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.writes = 0
        self.by_method: Counter[str] = Counter()
        self.by_route: Counter[str] = Counter()

    def count(self, method: str, route_key: str, write: bool) -> None:
        self.total += 1
        self.by_method[method] += 1
        self.by_route[route_key] += 1
        if write:
            self.writes += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "writes": self.writes,
            "by_method": dict(self.by_method),
            "by_route": dict(self.by_route),
        }


class Runtime:
    """The mutable context of one running sandbox: its state and its knobs."""

    def __init__(self, state: State, options: SandboxOptions) -> None:
        self.state = state
        self.options = options
        self.admin_token = options.admin_token or "glpat-" + secrets.token_urlsafe(15)
        self.counters = Counters()
        self.latency = Latency(options.latency_ms, options.random_seed)
        self.limiter = RateLimiter(options.rate_limit)
        self.faults = FaultInjector(options.fault_rate, options.random_seed, options.fault_timeout_seconds)
        self.dirty = False  # state changed since the last save
        self.closing = asyncio.Event()  # set when the server shuts down: withheld answers end
