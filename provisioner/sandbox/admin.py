"""`/-/sandbox/*`: control and observation for tests and benchmarks (admin token: 401 without a valid
token, 403 for a non-admin one; never counted, rate limited or faulted).

- `GET  /-/sandbox/requests`        counters `{"total","writes","by_method","by_route","throttled"}`
                                    (throttled: 429s of the rate limit)
- `POST /-/sandbox/requests/reset`  zero them
- `POST /-/sandbox/faults`          `{"rate","seed","kinds","timeout_seconds","latency_ms","script"}`; a
                                    script entry being `{"route","kind","times","after","status"}`
- `POST /-/sandbox/rate-limit`      `{"per_minute": N}` (0 or null: no limit)
- `POST /-/sandbox/reset`           `{"seed": "empty"|"demo"}`: a fresh world (same admin token);
                                    counters, faults and the rate limit back to the options
- `POST /-/sandbox/seed`            `{"projects": N, "group": "bulk"}`: bulk projects; answers the seconds
- `POST /-/sandbox/version`         `{"version": "18.4.0-ee"}` or `{"version": "17.4", "edition": "ce"}`:
                                    which GitLab is served (what `/version` answers, which fields,
                                    endpoints and values exist: provisioner/gitlab_versions.py)
- `POST /-/sandbox/graphql`         `{"ms_per_project","ms_per_blob","timeout_seconds"}`: what a GraphQL
                                    query costs in time, and when it times out (options.GraphqlCost)
- `POST /-/sandbox/jobs`            a running CI job and its job token (ci_jobs.py)
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provisioner.gitlab_versions import Version
from provisioner.sandbox import ci_jobs
from provisioner.sandbox.auth import identify
from provisioner.sandbox.faults import FaultInjector, Latency, RateLimiter
from provisioner.sandbox.http import ApiError, forbidden, unauthorized
from provisioner.sandbox.options import Runtime, configure

Endpoint = Callable[[Request], Awaitable[Response]]


def build(runtime: Runtime) -> Starlette:
    def guarded(handler: Callable[[Request, dict[str, Any]], Response]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                caller = identify(runtime.state, request)
            except ApiError as error:
                return error.response()
            # As GitLab's admin API: 401 without a usable token, 403 for a user who is not an administrator.
            if caller is None:
                return unauthorized().response()
            if not caller.is_admin:
                return forbidden().response()
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                return handler(request, body)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, 400)

        return endpoint

    def requests_(request: Request, body: dict[str, Any]) -> Response:
        return JSONResponse(runtime.counters.snapshot() | {"throttled": runtime.limiter.throttled})

    def requests_reset(request: Request, body: dict[str, Any]) -> Response:
        runtime.counters.reset()
        runtime.limiter.throttled = 0
        return JSONResponse(runtime.counters.snapshot() | {"throttled": 0})

    def faults(request: Request, body: dict[str, Any]) -> Response:
        runtime.faults.configure(body)
        if "latency_ms" in body:
            seed = body.get("seed", runtime.options.random_seed)
            runtime.latency = Latency(float(body["latency_ms"]), seed)
        return JSONResponse(runtime.faults.describe() | {"latency_ms": runtime.latency.ms})

    def rate_limit(request: Request, body: dict[str, Any]) -> Response:
        per_minute, every_answer = body.get("per_minute"), body.get("headers_on_every_answer", False)
        if not isinstance(every_answer, bool):
            raise ValueError("headers_on_every_answer must be true or false")
        runtime.limiter.reset(int(per_minute) if per_minute else None, every_answer)
        return JSONResponse(
            {
                "per_minute": runtime.limiter.per_minute,
                "headers_on_every_answer": runtime.limiter.every_answer,
            }
        )

    def reset(request: Request, body: dict[str, Any]) -> Response:
        from provisioner.sandbox.seed import seeded

        options = runtime.options
        seed = body.get("seed", options.seed)
        if seed not in ("empty", "demo"):
            raise ValueError("seed must be 'empty' or 'demo'")
        runtime.state = configure(seeded(seed, runtime.admin_token), options)
        runtime.counters.reset()
        runtime.graphql = dataclasses.replace(options.graphql)
        runtime.faults = FaultInjector(options.fault_rate, options.random_seed, options.fault_timeout_seconds)
        runtime.latency = Latency(options.latency_ms, options.random_seed)
        runtime.limiter = RateLimiter(options.rate_limit, every_answer=options.rate_limit_headers_always)
        runtime.dirty = True
        return JSONResponse({"seed": seed})

    def seed(request: Request, body: dict[str, Any]) -> Response:
        from provisioner.sandbox.seed import seed_projects

        count = int(body.get("projects", 0))
        started = time.perf_counter()
        ids = seed_projects(runtime.state, count, group=str(body.get("group", "bulk")))
        runtime.dirty = True
        return JSONResponse({"created": len(ids), "seconds": round(time.perf_counter() - started, 4)})

    def version(request: Request, body: dict[str, Any]) -> Response:
        """`{"version": "17.4.0-ee"}` or `{"version": "17.4", "edition": "ce"}`: which GitLab is served."""
        if "version" in body:
            edition = body.get("edition")
            runtime.state.version = str(
                Version.parse(str(body["version"]), str(edition) if edition else None)
            )
        return JSONResponse({"version": runtime.state.version})

    def graphql(request: Request, body: dict[str, Any]) -> Response:
        runtime.graphql.configure(body)
        return JSONResponse(vars(runtime.graphql))

    return Starlette(
        routes=[
            Route("/-/sandbox/requests", guarded(requests_), methods=["GET"]),
            Route("/-/sandbox/requests/reset", guarded(requests_reset), methods=["POST"]),
            Route("/-/sandbox/faults", guarded(faults), methods=["POST"]),
            Route("/-/sandbox/rate-limit", guarded(rate_limit), methods=["POST"]),
            Route("/-/sandbox/reset", guarded(reset), methods=["POST"]),
            Route("/-/sandbox/seed", guarded(seed), methods=["POST"]),
            Route("/-/sandbox/version", guarded(version), methods=["POST"]),
            Route("/-/sandbox/graphql", guarded(graphql), methods=["POST"]),
            *ci_jobs.admin_routes(guarded, runtime),
        ]
    )
