"""GitLab's query complexity and depth, computed before a query runs (REFERENCE 3).

GitLab charges each field 1 point, and one more when it calls Gitaly. A field backed by a resolver
costs its children plus the resolver's own complexity (1, +1 with `sort`, +5 with `search`, +1 per
path for `blobs`); a connection multiplies that by (1 + 0.01 x page size), the page size being the
smallest of `first`, `last` and the maximum page size (100): a full page doubles the cost
[G:app/graphql/types/base_field.rb, app/graphql/resolvers/base_resolver.rb, blobs_resolver.rb].

The approximation made here: every connection is treated as resolver-backed (GitLab charges a few
plain connection fields less), and the multiplier is applied to each connection field once per place
in the query, as GitLab's static analysis does: nested connections are not multiplied by their
parent's page size.

Limits: 300 points for an administrator, 250 with a token, 200 without; depth 20 with a token, 15
without [G:app/graphql/gitlab_schema.rb ADMIN_MAX_COMPLEXITY, AUTHENTICATED_MAX_COMPLEXITY,
DEFAULT_MAX_COMPLEXITY, AUTHENTICATED_MAX_DEPTH, DEFAULT_MAX_DEPTH, `max_query_complexity`].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from provisioner.sandbox.routes.graphql_schema import GITALY, PER_ITEM_ARGUMENTS

MAX_COMPLEXITY_ADMIN = 300
MAX_COMPLEXITY_AUTHENTICATED = 250
MAX_COMPLEXITY_ANONYMOUS = 200
MAX_DEPTH_AUTHENTICATED = 20
MAX_DEPTH_ANONYMOUS = 15
MAX_PAGE_SIZE = 100
PER_ITEM_RATE = 0.01


@dataclass(frozen=True)
class Cost:
    score: int
    depth: int


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Any,
) -> Cost:
    """`variables`: as coerced by graphql-core's `get_variable_values`."""
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    assert root is not None
    walker = _Walker(schema, fragments, variables)
    return walker.selection(operation.selection_set, root, 1)


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Any,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        level: int,
    ) -> Cost:
        score, depth = 0, 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                cost = self.field(node, parent, level)
            elif isinstance(node, InlineFragmentNode):
                target = self._type(node.type_condition.name.value) if node.type_condition else parent
                cost = self.selection(node.selection_set, target, level)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                cost = self.selection(
                    fragment.selection_set, self._type(fragment.type_condition.name.value), level
                )
            else:
                continue
            score += cost.score
            depth = max(depth, cost.depth)
        return Cost(score, depth)

    def field(self, node: FieldNode, parent: GraphQLObjectType | GraphQLInterfaceType, level: int) -> Cost:
        name = node.name.value
        if name == "__typename":
            return Cost(1, level)
        definition = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}.get(name) or parent.fields[
            name
        ]
        named = get_named_type(definition.type)
        children = (
            self.selection(node.selection_set, named, level + 1)
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
            else Cost(0, level)
        )
        gitaly = 1 if (parent.name, name) in GITALY else 0
        if not named.name.endswith("Connection"):
            return Cost(1 + gitaly + children.score, max(level, children.depth))
        args = get_argument_values(definition, node, self.variables)
        own = 1 + (1 if args.get("sort") else 0) + (5 if args.get("search") else 0)
        per_item = PER_ITEM_ARGUMENTS.get((parent.name, name))
        if per_item:
            own += len(args.get(per_item) or ())
        base = children.score + own + gitaly
        limit = min(x for x in (args.get("first"), args.get("last"), MAX_PAGE_SIZE) if x is not None)
        return Cost(int(base + base * max(0, limit) * PER_ITEM_RATE), max(level, children.depth))

    def _type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found
