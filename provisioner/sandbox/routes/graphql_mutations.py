"""The GraphQL mutations the sandbox knows: the CI/CD catalog's `catalogResourcesCreate`
[G:app/graphql/mutations/ci/catalog/resources/create.rb, app/services/ci/catalog/resources/
create_service.rb].

`authorize :add_catalog_resource`, the project's Owner [G:doc/ci/components/_index.md 'Set a component
project as a catalog project']; anyone else, and a `read_api` token, gets graphql-ruby's "does not exist
or you don't have permission" error. A project that already is one answers with the model's error in
the payload (`errors`), as the mutation passes the service's message on (the wording is unverified).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from provisioner.sandbox.auth import can_read_project, project_access
from provisioner.sandbox.routes.graphql_resolve import NOT_AVAILABLE, Context
from provisioner.sandbox.state import OWNER


def mutation_root(ctx: Context) -> dict[str, Any]:
    return {"catalogResourcesCreate": lambda info, input: _catalog_resources_create(ctx, input)}


def _catalog_resources_create(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    project_id = state.paths.get(str(args.get("projectPath", "")).lower())
    project = state.projects.get(project_id) if project_id is not None else None
    if (
        not ctx.writable
        or project is None
        or not can_read_project(state, ctx.viewer, project)
        or project_access(state, ctx.viewer, project) < OWNER
    ):
        raise GraphQLError(NOT_AVAILABLE)
    answer: dict[str, Any] = {"clientMutationId": args.get("clientMutationId"), "errors": []}
    if project.catalog_resource:
        answer["errors"] = ["Project has already been taken"]
        return answer
    project.catalog_resource = True
    ctx.memo["wrote"] = True
    return answer
