"""HTTP to one GitLab, and nothing else: with `failures`, the only modules that import python-gitlab.

It builds one `gitlab.Gitlab` client for the run, on a requests session that
- waits on the run's shared `RateLimiter` before each request and retries 429s (never processed),
- retries transient failures of idempotent requests (GET, HEAD, PUT, PATCH, DELETE) with backoff,
  but never a POST whose outcome is unknown: the caller observes again and decides,
- never sends the token to another scheme, host or port (redirects, pagination links),
- never follows a redirect of a write: requests re-sends a POST/PUT body after a 307/308, variable
  values included, so any 3xx answer to anything but GET/HEAD is an error naming where it pointed,
- fails at once on a TLS error (a retry cannot fix a certificate), and on a connection that cannot be
  made before GitLab has ever answered (a wrong URL or a missing proxy: retrying only delays the hint),
- says every pause (rate limit, back-off before a retry) in the log and to the limiter's listeners,
- counts requests by method, for reports and benchmarks.
python-gitlab's exceptions become ours in `provisioner.gitlab.failures`.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import gitlab
import requests
from requests.adapters import HTTPAdapter

from provisioner import __version__
from provisioner.errors import (
    NotFound,
)
from provisioner.gitlab.failures import WriteRedirected, mapped, secret_fields
from provisioner.gitlab.ratelimit import RateLimiter, Wait

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
_TOKEN_HEADERS = ("PRIVATE-TOKEN", "Authorization", "JOB-TOKEN")
_FOLLOWED = frozenset({"GET", "HEAD"})  # the only methods whose redirects are followed (carry no body)


def encode(ref: str | int) -> str:
    """An id or full path as GitLab wants it in a URL (`grp%2Fsub%2Fproj`)."""
    return quote(str(ref), safe="")


class RequestStats:
    """Requests actually sent (retries included), by method. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_method: Counter[str] = Counter()
        self.graphql = 0
        self.retries = 0

    def count(self, method: str, url: str) -> None:
        with self._lock:
            self.by_method[method] += 1
            if method == "POST" and url.split("?", 1)[0].endswith("/api/graphql"):
                self.graphql += 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def writes(self) -> int:
        """Requests that may change state: everything but GET, HEAD and GraphQL queries."""
        reads = self.by_method["GET"] + self.by_method["HEAD"] + self.graphql
        return self.total - reads


class _Adapter(HTTPAdapter):
    def __init__(
        self, origin: str, limiter: RateLimiter, stats: RequestStats, max_retries: int, pool: int
    ) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool)
        self._origin = origin
        self._limiter = limiter
        self._stats = stats
        self._retries = max_retries
        self._answered = False  # GitLab has answered once: a failure to connect is worth retrying

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if _origin(request.url or "") != self._origin:
            # A redirect, or a pagination link, to another host or scheme: it never gets the token.
            for header in _TOKEN_HEADERS:
                request.headers.pop(header, None)
        method = (request.method or "GET").upper()
        attempt = 0
        while True:
            attempt += 1
            self._limiter.acquire()
            self._stats.count(method, request.url or "")
            try:
                response = super().send(request, *args, **kwargs)
            except requests.exceptions.SSLError:
                self._limiter.release(None, {})
                raise  # a certificate does not get better by asking again
            except requests.exceptions.ConnectionError as exc:
                self._limiter.release(None, {})
                never_sent = isinstance(
                    exc, requests.exceptions.ConnectTimeout
                ) or "NewConnectionError" in repr(exc)
                if never_sent and not self._answered:
                    raise  # never reached: the URL, a proxy or a firewall, which retrying cannot fix
                if attempt <= self._retries and (method in _IDEMPOTENT or never_sent):
                    self._backoff(attempt, request, type(exc).__name__)
                    continue
                raise
            except requests.exceptions.Timeout:
                self._limiter.release(None, {})
                if attempt <= self._retries and method in _IDEMPOTENT:
                    self._backoff(attempt, request, "no answer in time")
                    continue
                raise
            self._answered = True
            self._limiter.release(response.status_code, response.headers)
            if 300 <= response.status_code < 400 and method not in _FOLLOWED:
                # Raised here, below requests' redirect loop, so that the body is never re-sent;
                # python-gitlab's own check looks at the history only once the redirect was followed.
                response.close()
                raise WriteRedirected(response.status_code, _shown_url(response.headers.get("Location")))
            if response.status_code == 429 and attempt <= self._retries * 4:
                response.close()
                self._stats.retried()
                continue  # acquire() waits out the pause the 429 set, for every worker
            if (
                response.status_code in _TRANSIENT_STATUS
                and method in _IDEMPOTENT
                and attempt <= self._retries
            ):
                response.close()
                self._backoff(attempt, request, f"answered {response.status_code}")
                continue
            return response

    def _backoff(self, attempt: int, request: requests.PreparedRequest, cause: str) -> None:
        self._stats.retried()
        seconds = min(8.0, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random())
        what = f"{request.method} {urlsplit(request.url or '').path}"
        self._limiter.pause(Wait(seconds, f"retry {attempt} of {self._retries}: {what} {cause}"))


def _shown_url(location: str | None) -> str:
    """Where a redirect pointed, without user information or query (either may carry a secret)."""
    if not location:
        return "nowhere (no Location header)"
    parts = urlsplit(location)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else parts.path


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Transport:
    """Thread-safe HTTP to one GitLab instance for one run: GitLab's answers as plain data, its
    failures as our errors. What the run has read is not kept here (see `provisioner.gitlab.api`)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        max_retries: int = 5,
        pool: int = 16,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.limiter = limiter or RateLimiter()
        self.stats = RequestStats()
        session = requests.Session()
        adapter = _Adapter(_origin(self.url), self.limiter, self.stats, max_retries, pool)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._gl = gitlab.Gitlab(
            self.url,
            private_token=token,
            ssl_verify=verify,
            timeout=timeout,
            session=session,
            user_agent=f"provisioner/{__version__}",
            per_page=100,
        )
        self._version: str | None = None
        self._version_lock = threading.Lock()

    # -- reads ---------------------------------------------------------------------------------
    def get(self, path: str, **params: Any) -> Any:
        with mapped("GET", path):
            return self._gl.http_get(path, query_data=params, obey_rate_limit=False)

    def get_optional(self, path: str, **params: Any) -> Any | None:
        """GET that answers None for 404 (missing or invisible)."""
        try:
            return self.get(path, **params)
        except NotFound:
            return None

    def list(self, path: str, **params: Any) -> list[Any]:
        """Every page of a list (python-gitlab follows the Link header)."""
        params.setdefault("per_page", 100)
        with mapped("GET", path):
            return list(self._gl.http_list(path, query_data=params, iterator=True, obey_rate_limit=False))

    def list_page(self, path: str, page: int, **params: Any) -> tuple[Sequence[Any], int | None]:
        """One page of a list, and how many pages there are (None: GitLab does not say, past
        10,000 items; REFERENCE 1.6)."""
        params.update(page=page)
        params.setdefault("per_page", 100)
        with mapped("GET", path):
            response = self._gl.http_request("get", path, query_data=params, obey_rate_limit=False)
            total = response.headers.get("X-Total-Pages")
            try:
                return list(response.json()), int(total) if total else None
            except ValueError as exc:
                raise gitlab.exceptions.GitlabParsingError("unparsable list page") from exc

    def head(self, path: str, **params: Any) -> Mapping[str, str] | None:
        """Response headers, or None for 404."""
        try:
            with mapped("HEAD", path):
                return dict(self._gl.http_head(path, query_data=params, obey_rate_limit=False))
        except NotFound:
            return None

    def probe(self, path: str) -> tuple[Any, Mapping[str, str], float]:
        """GET `path` once: its answer, its headers and the seconds it took (`provisioner doctor`)."""
        with mapped("GET", path):
            started = time.perf_counter()
            response = self._gl.http_request("get", path, obey_rate_limit=False)
            seconds = time.perf_counter() - started
            try:
                return response.json(), dict(response.headers), seconds
            except ValueError as exc:
                raise gitlab.exceptions.GitlabParsingError("unparsable answer") from exc

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        with mapped("POST", "/api/graphql"):
            return self._gl.http_post(
                f"{self.url}/api/graphql",
                post_data={"query": query, "variables": dict(variables or {})},
                obey_rate_limit=False,
            )

    def version(self) -> str:
        # Facets ask from every worker at once: one request per run, not one per worker.
        with self._version_lock:
            if self._version is None:
                self._version = str(self.get("/version").get("version", "0"))
        return self._version

    # -- writes --------------------------------------------------------------------------------
    def post(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        with mapped("POST", path, secret_fields(data)):
            return self._gl.http_post(
                path, query_data=params, post_data=dict(data or {}), obey_rate_limit=False
            )

    def put(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        with mapped("PUT", path, secret_fields(data)):
            return self._gl.http_put(
                path, query_data=params, post_data=dict(data or {}), obey_rate_limit=False
            )

    def patch(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        with mapped("PATCH", path, secret_fields(data)):
            result = self._gl.http_patch(
                path, query_data=params, post_data=dict(data or {}), obey_rate_limit=False
            )
            # PATCH /job_token_scope answers 204 with no body; python-gitlab then returns the response.
            return result if not isinstance(result, requests.Response) else None

    def delete(self, path: str, **params: Any) -> None:
        with mapped("DELETE", path):
            self._gl.http_delete(path, query_data=params, obey_rate_limit=False)

    def close(self) -> None:
        self._gl.session.close()
