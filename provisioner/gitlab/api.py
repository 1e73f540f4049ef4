"""What facets, the engine and the area modules are handed: one run's access to one GitLab.

It is the transport (HTTP, `provisioner.gitlab.transport`) plus what the run has read, the run cache
(`provisioner.gitlab.cache`). The cache belongs to the area modules: they read through it and say
what their writes changed. The engine only tells the lifecycle of a target in its own words (being
written to, planned anew, done); facets and the engine never see the cache itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.errors import ServerError
from provisioner.gitlab.cache import RunCache
from provisioner.gitlab.ratelimit import RateLimiter
from provisioner.gitlab.transport import RequestStats, Transport
from provisioner.gitlab_versions import Version
from provisioner.model import ProjectRef, TargetRef


class GitLabApi:
    """Typed, thread-safe access to one GitLab instance for one run."""

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
        self.transport = Transport(
            url, token, verify=verify, timeout=timeout, max_retries=max_retries, pool=pool, limiter=limiter
        )
        self.cache = RunCache()  # the area modules' (see provisioner.gitlab.cache)

    @property
    def url(self) -> str:
        return self.transport.url

    @property
    def stats(self) -> RequestStats:
        return self.transport.stats

    @property
    def limiter(self) -> RateLimiter:
        return self.transport.limiter

    # -- HTTP, as the transport does it --------------------------------------------------------
    def get(self, path: str, **params: Any) -> Any:
        return self.transport.get(path, **params)

    def get_optional(self, path: str, **params: Any) -> Any | None:
        return self.transport.get_optional(path, **params)

    def list(self, path: str, **params: Any) -> list[Any]:
        return self.transport.list(path, **params)

    def list_page(self, path: str, page: int, **params: Any) -> tuple[Sequence[Any], int | None]:
        return self.transport.list_page(path, page, **params)

    def head(self, path: str, **params: Any) -> Mapping[str, str] | None:
        return self.transport.head(path, **params)

    def probe(self, path: str) -> tuple[Any, Mapping[str, str], float]:
        return self.transport.probe(path)

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        return self.transport.graphql(query, variables)

    def version(self) -> str:
        return self.transport.version()

    def server(self) -> Version:
        """The server's version and edition, read once per run (`GET /version`)."""
        text = self.version()
        try:
            return Version.parse(text)
        except ValueError:
            raise ServerError("GET", "/version", None, f"not a GitLab version: {text[:40]!r}") from None

    def post(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        return self.transport.post(path, data, **params)

    def put(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        return self.transport.put(path, data, **params)

    def patch(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        return self.transport.patch(path, data, **params)

    def delete(self, path: str, **params: Any) -> None:
        self.transport.delete(path, **params)

    def close(self) -> None:
        self.transport.close()

    # -- a target's lifecycle, as the engine tells it -------------------------------------------
    # What the run keeps is per project: a group's reads are not kept, so its lifecycle is a no-op.
    def writing(self, target: TargetRef) -> None:
        """The tool writes to the target: what bulk reads and listings said of it no longer holds."""
        if isinstance(target, ProjectRef):
            self.cache.forget_project(target.id)

    def replanning(self, target: TargetRef) -> None:
        """The target is planned anew from what GitLab says now: nothing read of it is trusted."""
        if isinstance(target, ProjectRef):
            self.cache.forget_project(target.id)
            self.cache.release(target.id)

    def done(self, target: TargetRef) -> None:
        """The target is done for this run: nothing of it is kept."""
        if isinstance(target, ProjectRef):
            self.cache.done(target.id)

    def bulk_taken(self, target: TargetRef) -> frozenset[str]:
        """What bulk reads said of the target that was read since this was last asked (one facet's
        observation rested on it), by the area modules' names for it."""
        return self.cache.take_served(target.id) if isinstance(target, ProjectRef) else frozenset()

    def distrust_bulk(self, target: TargetRef, taken: frozenset[str]) -> None:
        """Read `taken` (see `bulk_taken`) of the target over REST from now on."""
        if isinstance(target, ProjectRef):
            self.cache.forget_facts(target.id, taken)

    def trust_bulk(self, target: TargetRef, taken: frozenset[str]) -> None:
        """What bulk reads said of `taken` stands as a REST answer would: writes revise it, and
        verification reads again only what their answers did not show."""
        if isinstance(target, ProjectRef):
            self.cache.trust(target.id, taken)
