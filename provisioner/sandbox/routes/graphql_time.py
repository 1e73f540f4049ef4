"""What a GraphQL query costs in time, and GitLab's timeout.

GitLab stops resolving fields once a query has run for `graphql_timeout` seconds (30 by default): every
field asked after that resolves to null with the error `Timeout on <Type>.<field>` (its path and
locations), the fields already resolved stay in `data`, and the answer is still HTTP 200
[G:app/graphql/gitlab_schema.rb `use Gitlab::Graphql::Timeout`, lib/gitlab/graphql/timeout.rb,
spec/lib/gitlab/graphql/timeout_spec.rb 'Timeout on parent_type.field'; graphql-ruby's
GraphQL::Schema::Timeout].

The sandbox charges a configurable time per project resolved and per file path asked of `blobs` (the
Gitaly calls that dominate on GitLab), on a clock of its own: fields are resolved depth first, so a query
over many projects answers the first ones and times out on the rest, as GitLab's would. The request then
takes the time charged (at most the timeout), so that clients see the latency too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from provisioner.sandbox.options import GraphqlCost


class Clock:
    def __init__(self, cost: GraphqlCost) -> None:
        self.cost = cost
        self.ms = 0.0
        self._projects: set[int] = set()

    def charge(self, ms: float) -> None:
        self.ms += ms

    def project(self, node: object) -> None:
        """Charge a project once, when its first field is resolved."""
        if id(node) not in self._projects:
            self._projects.add(id(node))
            self.charge(self.cost.ms_per_project)

    def blobs(self, paths: int) -> None:
        self.charge(self.cost.ms_per_blob * paths)

    @property
    def expired(self) -> bool:
        return self.ms > self.cost.timeout_seconds * 1000

    def seconds(self) -> float:
        """The time the query took, as the client should see it."""
        return min(self.ms / 1000, self.cost.timeout_seconds)


class Timeout:
    """graphql-core middleware: charge projects as they are reached, refuse fields past the timeout."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def resolve(
        self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **args: Any
    ) -> Any:
        if info.parent_type.name == "Project" and isinstance(root, dict):
            self.clock.project(root)
        if self.clock.expired:
            raise GraphQLError(f"Timeout on {info.parent_type.name}.{info.field_name}")
        return next_(root, info, **args)
