"""The ASGI application: `/-/sandbox/*` admin routes on Starlette, every API route through one table.

Per API request, in order: count it, wait the injected latency, identify the caller, apply the rate
limit (429, not processed), pick an injected fault, run the handler, add the rate-limit headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from provisioner.sandbox import admin
from provisioner.sandbox.auth import identify, scope_error
from provisioner.sandbox.bodies import nest, parse_body
from provisioner.sandbox.faults import ERROR_STATUSES, Fault
from provisioner.sandbox.http import ApiError, Params, json_response, unauthorized
from provisioner.sandbox.options import Runtime, SandboxOptions, configure
from provisioner.sandbox.routes import build_table
from provisioner.sandbox.routing import ApiRequest, Route, RouteTable
from provisioner.sandbox.state import State
from provisioner.sandbox.versions import flag_off

log = logging.getLogger("provisioner.sandbox")


class InjectedDrop(Exception):
    """Raised to make uvicorn close the connection; never logged (see _QuietDrops)."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedDrop))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class SandboxApp:
    """ASGI entry point. `runtime.state` is the live world; swapping it resets the sandbox."""

    def __init__(self, state: State, options: SandboxOptions) -> None:
        self.runtime = Runtime(state, options)
        self.table: RouteTable = build_table()
        self.admin = admin.build(self.runtime)

    @property
    def state(self) -> State:
        return self.runtime.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/-/sandbox/"):
            await self.admin(scope, receive, send)
            return
        await self._dispatch(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self.runtime
        method = scope["method"]
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        found = self.table.match(method, raw_path, runtime.state)
        route = found[0] if found else None
        key = route.key if route else f"{method} (unmatched)"
        # GraphQL queries are reads, also when the request matched no route (a wrong method, say).
        write = method not in ("GET", "HEAD") and raw_path.rstrip("/") != "/api/graphql"
        runtime.counters.count(method, key, route.counted_as_write if route else write)
        delay = runtime.latency.next_delay()
        if delay:
            await asyncio.sleep(delay)
        request = Request(scope, receive)
        rate_headers: dict[str, str] = {}
        fault: Fault | None = None
        try:
            caller = identify(runtime.state, request, route)
            if caller is not None:
                throttle = runtime.limiter.hit(f"token:{caller.token.id}")
                if throttle is not None:
                    rate_headers = throttle.headers
                    if not throttle.allowed:
                        await _send(scope, receive, send, _throttled(rate_headers))
                        return
            if found is None:
                # Grape's catch-all route answers unknown paths and methods alike (body from memory).
                raise ApiError(404, {"error": "404 Not Found"})
            assert route is not None
            if route.feature and (flag := flag_off(runtime.state, route.feature)) is not None:
                # Checked in the API's `after_validation`, before authentication
                # [G:lib/api/project_packages_protection_rules.rb].
                raise ApiError(404, {"message": f"'{flag}' feature flag is disabled"})
            if caller is None and not route.anonymous:
                raise unauthorized()
            if caller is not None and not set(route.scopes) & set(caller.token.scopes):
                raise scope_error(route.scopes)
            fault = runtime.faults.decide(key)
            if fault is not None and fault.kind == "error":
                status = fault.status
                response = json_response({"message": ERROR_STATUSES[status]}, status)
            elif fault is not None and fault.kind == "throttle":
                response = _throttled({"Retry-After": "1"})
            elif fault is not None and fault.kind == "drop_before":
                await _drop(send)
                return
            else:
                response = await self._handle(route, found[1], request, caller)
        except ApiError as error:
            render = route.render_error if route is not None and route.render_error else ApiError.response
            response = render(error)
        response.headers.update(rate_headers)
        if fault is not None and fault.kind == "drop_after":
            await _drop(send)
        elif fault is not None and fault.kind == "timeout":
            # Withhold the answer, but not beyond the server's shutdown.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.closing.wait(), runtime.faults.timeout_seconds)
            await _drop(send)
        await _send(scope, receive, send, response)

    async def _handle(self, route: Route, path: dict[str, str], request: Request, caller: object) -> Response:
        runtime = self.runtime
        body = await request.body()
        values = nest(request.query_params.multi_items())
        values.update(parse_body(request.headers.get("content-type", ""), body))
        req = ApiRequest(request, route, path, Params(values), runtime.state, runtime, caller)  # type: ignore[arg-type]
        try:
            response = await route.handler(req)
        except ApiError:
            raise
        except Exception:
            log.exception("sandbox handler failed: %s", route.key)
            return json_response({"message": "500 Internal Server Error"}, 500)
        if route.counted_as_write and response.status_code < 400:
            runtime.dirty = True
        return response


async def _send(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    await response(scope, receive, send)


def _throttled(headers: dict[str, str]) -> Response:
    return PlainTextResponse("Retry later\n", 429, headers=headers)


async def _drop(send: Send) -> None:
    """Close the connection without a byte of response.

    uvicorn (httptools) marks the response as started, then rejects the header value before writing
    anything; the exception that follows makes it close the transport.
    """
    with contextlib.suppress(RuntimeError):
        await send({"type": "http.response.start", "status": 500, "headers": [(b"x-sandbox-drop", b"\n")]})
    raise InjectedDrop()


def create_app(state: State | None = None, options: SandboxOptions | None = None) -> SandboxApp:
    from provisioner.sandbox.seed import seeded

    options = options or SandboxOptions()
    app = SandboxApp(configure(state or State(), options), options)
    if state is None:
        app.runtime.state = configure(seeded(options.seed, app.runtime.admin_token), options)
    return app
