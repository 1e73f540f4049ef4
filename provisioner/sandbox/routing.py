"""One route table, matched on the raw path so that `%2F` stays inside one segment (REFERENCE 0.1).

A route module declares `ROUTES = Routes()` and decorates async handlers with templates such as
`@ROUTES.get("/projects/:id/variables/:key")`; `routes/__init__.py` lists the modules. The full
template (`GET /api/v4/projects/:id/variables/:key`) is also the key of the request counters.

The GraphQL module (`routes/graphql.py`) declares `ROUTES = Routes(prefix="/api")` and posts at
`/graphql` with `write=False` (queries are reads for the counters) and a `render_error` that gives
refusals GraphQL's shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from provisioner.sandbox.http import ApiError, Params
from provisioner.sandbox.state import State
from provisioner.sandbox.versions import flag_off, has, route_feature

if TYPE_CHECKING:
    from provisioner.sandbox.auth import Caller
    from provisioner.sandbox.options import Runtime

Handler = Callable[["ApiRequest"], Awaitable[Response]]

READ_SCOPES = ("api", "read_api")
WRITE_SCOPES = ("api",)


@dataclass
class ApiRequest:
    """What a handler sees: the HTTP request, decoded path segments, parameters, who asks, the world."""

    http: Request
    route: Route
    path: dict[str, str]
    params: Params
    state: State
    runtime: Runtime
    caller: Caller | None = None

    @property
    def method(self) -> str:
        return str(self.http.method)


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # full path template, e.g. /api/v4/projects/:id
    handler: Handler
    scopes: tuple[str, ...]  # a token needs one of these
    anonymous: bool  # may be called without a token (public resources)
    counted_as_write: bool
    # How this route renders refusals (401, 403, 404 from auth included); GraphQL answers {"errors": [...]}.
    render_error: Callable[[ApiError], Response] | None
    segments: tuple[str, ...] = field(repr=False)
    feature: str | None = None  # its row in provisioner.gitlab_versions, when only some versions have it
    # GitLab's `route_setting :authentication`: how a CI job token may come ("request": JOB-TOKEN header or
    # job_token parameter; "basic_auth": user gitlab-ci-token), and a personal access token as a Basic
    # auth password. Routes say nothing: job tokens are refused (ci_jobs.py).
    job_token: tuple[str, ...] = ()
    basic_auth_pat: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


class Routes:
    """The routes of one module, declared with decorators."""

    def __init__(self, prefix: str = "/api/v4") -> None:
        self.prefix = prefix
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        scopes: tuple[str, ...] | None = None,
        anonymous: bool = False,
        write: bool | None = None,
        render_error: Callable[[ApiError], Response] | None = None,
        job_token: tuple[str, ...] = (),
        basic_auth_pat: bool = False,
    ) -> None:
        reading = method in ("GET", "HEAD")
        full = self.prefix + template
        self.routes.append(
            Route(
                method=method,
                template=full,
                handler=handler,
                scopes=scopes or (READ_SCOPES if reading else WRITE_SCOPES),
                anonymous=anonymous,
                counted_as_write=(not reading) if write is None else write,
                render_error=render_error,
                segments=tuple(full.strip("/").split("/")),
                feature=route_feature(method, full),
                job_token=job_token,
                basic_auth_pat=basic_auth_pat,
            )
        )

    def _decorator(self, method: str, template: str, **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, template, handler, **options)
            return handler

        return register

    def get(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._decorator("GET", template, **options)

    def head(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._decorator("HEAD", template, **options)

    def post(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._decorator("POST", template, **options)

    def put(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._decorator("PUT", template, **options)

    def patch(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._decorator("PATCH", template, **options)

    def delete(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._decorator("DELETE", template, **options)


class RouteTable:
    def __init__(self, groups: list[Routes]) -> None:
        self.routes = [route for group in groups for route in group.routes]
        self._buckets: dict[tuple[str, int], list[Route]] = {}
        for route in self.routes:
            self._buckets.setdefault((route.method, len(route.segments)), []).append(route)
        for bucket in self._buckets.values():
            # Literal segments win over parameters: /runners/all before /runners/:id.
            bucket.sort(key=lambda r: sum(s.startswith(":") for s in r.segments))

    def match(
        self, method: str, raw_path: str, state: State | None = None
    ) -> tuple[Route, dict[str, str]] | None:
        """The route and its path parameters; routes the served GitLab version lacks do not match
        (unless a feature flag hides them: the handler then answers as GitLab does, see app.py)."""
        segments = raw_path.strip("/").split("/")
        methods = (method, "GET") if method == "HEAD" else (method,)
        for candidate in methods:
            for route in self._buckets.get((candidate, len(segments)), ()):
                captured = _capture(route.segments, segments)
                if captured is None:
                    continue
                if state is not None and not _served(state, route):
                    continue
                return route, captured
        return None


def _served(state: State, route: Route) -> bool:
    """Whether the served GitLab has the route, or hides it behind a flag (then it answers 404 saying so)."""
    if route.feature is None or has(state, route.feature):
        return True
    return flag_off(state, route.feature) is not None


def _capture(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    captured: dict[str, str] = {}
    for expected, actual in zip(template, segments, strict=True):
        if expected.startswith(":"):
            if not actual:
                return None
            captured[expected[1:]] = unquote(actual)
        elif expected != actual:
            return None
    return captured
