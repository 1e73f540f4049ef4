"""`POST /api/graphql`: the subset of GitLab's GraphQL API the tool reads in bulk (REFERENCE 3).

As GitLab answers [G:doc/api/graphql/_index.md, app/controllers/graphql_controller.rb]:
- a bad token is HTTP 401 `{"errors":[{"message":"Invalid token"}]}`; no token reads public data;
  `read_api` is enough for queries, mutations need `api` (graphql_mutations.py);
- every other error is HTTP 200 with a top-level `errors` array: syntax and validation errors
  (graphql-ruby's wording for unknown fields), complexity and depth over the limits, resolver errors
  (with `path`, next to `data`);
- a JSON array of queries is a multiplex: an array of answers;
- queries longer than 10,000 characters are refused.
Counted as reads by the request counters (a mutation that changed something as a write too), rate
limited like every API call.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from starlette.responses import Response

from provisioner.sandbox.http import ApiError, json_response, origin
from provisioner.sandbox.routes.graphql_cost import (
    MAX_COMPLEXITY_ADMIN,
    MAX_COMPLEXITY_ANONYMOUS,
    MAX_COMPLEXITY_AUTHENTICATED,
    MAX_DEPTH_ANONYMOUS,
    MAX_DEPTH_AUTHENTICATED,
    measure,
)
from provisioner.sandbox.routes.graphql_mutations import mutation_root
from provisioner.sandbox.routes.graphql_resolve import Context, query_root
from provisioner.sandbox.routes.graphql_schema import for_version
from provisioner.sandbox.routes.graphql_time import Clock, Timeout
from provisioner.sandbox.routing import READ_SCOPES, ApiRequest, Routes
from provisioner.sandbox.state import User

MAX_QUERY_LENGTH = 10_000
_UNDEFINED_FIELD = re.compile(r"^Cannot query field '([^']+)' on type '([^']+)'\.")


def _error_body(error: ApiError) -> Response:
    """Authentication and scope failures in GraphQL's own error shape."""
    text = "Invalid token" if error.status == 401 else _text(error.body)
    return json_response({"errors": [{"message": text}]}, error.status, error.headers)


def _text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("message") or body.get("error") or body)
    return str(body)


ROUTES = Routes(prefix="/api")
ROUTES.add(
    "POST",
    "/graphql",
    lambda req: graphql(req),
    scopes=READ_SCOPES,
    anonymous=True,
    write=False,
    render_error=_error_body,
)


async def graphql(req: ApiRequest) -> Response:
    raw = await req.http.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return json_response({"errors": [{"message": "Invalid JSON in request body"}]}, 400)
    viewer = req.caller.user if req.caller else None

    writable = req.caller is not None and "api" in req.caller.token.scopes

    def answer(item: Any) -> dict[str, Any]:
        ctx = Context(
            req.state, viewer, origin(req.http), clock=Clock(req.runtime.graphql), writable=writable
        )
        found = _answer(ctx, item)
        spent.append(ctx.clock.seconds() if ctx.clock else 0.0)
        if ctx.memo.get("wrote"):
            req.runtime.counters.wrote()  # a mutation that changed something: a write
            req.runtime.dirty = True
        return found

    spent: list[float] = []
    if isinstance(body, list):
        answers: Any = [answer(item) for item in body]
    else:
        if not isinstance(body, dict):
            body = {}
        for name, value in req.http.query_params.items():
            body.setdefault(name, value)
        answers = answer(body)
    if sum(spent) > 0:
        await asyncio.sleep(sum(spent))
    return json_response(answers)


def _limits(viewer: User | None) -> tuple[int, int]:
    """(max complexity, max depth) for this caller [G:app/graphql/gitlab_schema.rb]."""
    if viewer is None:
        return MAX_COMPLEXITY_ANONYMOUS, MAX_DEPTH_ANONYMOUS
    if viewer.is_admin:
        return MAX_COMPLEXITY_ADMIN, MAX_DEPTH_AUTHENTICATED
    return MAX_COMPLEXITY_AUTHENTICATED, MAX_DEPTH_AUTHENTICATED


def _answer(ctx: Context, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or not request.get("query"):
        return _errors([GraphQLError("No query string was present")])
    query = str(request["query"])
    if len(query) > MAX_QUERY_LENGTH:
        return _errors([GraphQLError("Query too large")])
    variables = request.get("variables") or {}
    if isinstance(variables, str):
        try:
            variables = json.loads(variables) or {}
        except ValueError:
            return _errors([GraphQLError(f"Unexpected end of document: {variables!r} is not valid JSON")])
    try:
        document = parse(query)
    except GraphQLError as error:
        return _errors([error])
    schema = for_version(ctx.state.version)
    problems = validate(schema, document)
    if problems:
        return _errors([_graphql_ruby_wording(p, document) for p in problems])
    operation = _operation(document, request.get("operationName"))
    if isinstance(operation, GraphQLError):
        return _errors([operation])
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return _errors(coerced)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    cost = measure(schema, operation, fragments, coerced)
    limit, max_depth = _limits(ctx.viewer)
    refused = []
    # graphql-ruby runs both analyzers and reports each limit exceeded.
    if cost.depth > max_depth:
        refused.append(
            GraphQLError(f"Query has depth of {cost.depth}, which exceeds max depth of {max_depth}")
        )
    if cost.score > limit:
        refused.append(
            GraphQLError(f"Query has complexity of {cost.score}, which exceeds max complexity of {limit}")
        )
    if refused:
        return _errors(refused)
    root = query_root(ctx) | mutation_root(ctx) | {"queryComplexity": {"score": cost.score, "limit": limit}}
    result = execute(
        schema,
        document,
        root_value=root,
        context_value=ctx,
        variable_values=variables,
        operation_name=operation.name.value if operation.name else None,
        middleware=[Timeout(ctx.clock)] if ctx.clock else None,
    )
    assert isinstance(result, ExecutionResult)
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [e.formatted for e in result.errors]
    return answer


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | GraphQLError:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        chosen = [o for o in operations if o.name and o.name.value == name]
        return chosen[0] if chosen else GraphQLError(f'No operation named "{name}"')
    if len(operations) != 1:
        return GraphQLError("An operation name is required")
    return operations[0]


def _graphql_ruby_wording(error: GraphQLError, document: DocumentNode) -> GraphQLError:
    """graphql-ruby's words for an unknown field, with the field's path through the document
    (`["query", "project", "nope"]`; `"query Name"` for a named operation)."""
    match = _UNDEFINED_FIELD.match(error.message)
    if not match:
        return error
    field, type_name = match.groups()
    node = error.nodes[0] if error.nodes else None
    return GraphQLError(
        f"Field '{field}' doesn't exist on type '{type_name}'",
        error.nodes,
        path=_document_path(document, node) if node is not None else None,
        extensions={"code": "undefinedField", "typeName": type_name, "fieldName": field},
    )


def _document_path(document: DocumentNode, target: Node) -> list[str | int] | None:
    def walk(selection_set: SelectionSetNode | None, trail: list[str | int]) -> list[str | int] | None:
        for child in selection_set.selections if selection_set else ():
            if child is target and isinstance(child, FieldNode):
                return [*trail, child.name.value]
            if isinstance(child, FieldNode):
                inner = [*trail, child.name.value]
            elif isinstance(child, InlineFragmentNode):
                condition = child.type_condition.name.value if child.type_condition else ""
                inner = [*trail, f"... on {condition}" if condition else "..."]
            else:
                continue
            found = walk(child.selection_set, inner)
            if found is not None:
                return found
        return None

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            kind = definition.operation.value
            head = f"{kind} {definition.name.value}" if definition.name else kind
        elif isinstance(definition, FragmentDefinitionNode):
            head = f"fragment {definition.name.value}"
        else:
            continue
        found = walk(definition.selection_set, [head])
        if found is not None:
            return found
    return None


def _errors(errors: list[GraphQLError]) -> dict[str, Any]:
    return {"errors": [e.formatted for e in errors]}
