"""How a sandbox runs (options from the command line) and what it keeps while running (Runtime)."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.gitlab_versions import Version
from provisioner.sandbox.faults import FaultInjector, Latency, RateLimiter
from provisioner.sandbox.state import State


@dataclass(frozen=True)
class SandboxOptions:
    seed: str = "empty"  # "empty" or "demo"
    gitlab_version: str = "18.6"  # any X.Y[.Z]; provisioner.gitlab_versions.SERVED are the ones modelled
    edition: str = "ee"  # "ce" or "ee"
    # The administrator's "Enable and enforce job token allowlist for all projects". GitLab 18 turns it on
    # (and GitLab.com has it on); the sandbox serves an instance where it was turned off unless asked.
    enforce_job_token_allowlist: bool = False
    state_file: Path | None = None
    latency_ms: float = 0.0
    rate_limit: int | None = None  # requests per minute per token
    # RateLimit-* on every answer, not only on 429s: GitLab 18.6+ with the feature flag
    # rate_limiting_headers_for_unthrottled_requests on (off by default)
    rate_limit_headers_always: bool = False
    fault_rate: float = 0.0
    random_seed: int | None = None
    admin_token: str | None = None  # generated when not given
    fault_timeout_seconds: float = 10.0
    graphql: GraphqlCost = field(default_factory=lambda: GraphqlCost())


@dataclass
class GraphqlCost:
    """The time a GraphQL query costs (Gitaly and database work on GitLab), and GitLab's 30 s timeout
    [G:config/gitlab.yml.example graphql_timeout, app/graphql/gitlab_schema.rb Gitlab::Graphql::Timeout].
    Small by default so that tests stay fast; `POST /-/sandbox/graphql` changes it while serving."""

    ms_per_project: float = 0.1
    ms_per_blob: float = 0.01
    timeout_seconds: float = 30.0

    def configure(self, body: Mapping[str, Any]) -> None:
        for key in ("ms_per_project", "ms_per_blob", "timeout_seconds"):
            if key in body:
                value = float(body[key])
                if value < 0:
                    raise ValueError(f"{key} must not be negative")
                setattr(self, key, value)


def configure(state: State, options: SandboxOptions) -> State:
    """The world as the options describe the server: its version, edition and instance settings."""
    version = Version.parse(options.gitlab_version, options.edition)
    state.version = str(version)
    state.settings = dict(state.settings) | {
        "enforce_ci_inbound_job_token_scope_enabled": options.enforce_job_token_allowlist
    }
    return state


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

    def wrote(self) -> None:
        """A request counted as a read turned out to write (a GraphQL mutation)."""
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
        self.limiter = RateLimiter(options.rate_limit, every_answer=options.rate_limit_headers_always)
        self.faults = FaultInjector(options.fault_rate, options.random_seed, options.fault_timeout_seconds)
        self.graphql = dataclasses.replace(options.graphql)
        self.dirty = False  # state changed since the last save
        self.closing = asyncio.Event()  # set when the server shuts down: withheld answers end
