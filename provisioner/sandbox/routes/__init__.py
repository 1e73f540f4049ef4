"""The API's route modules. Adding an area is one module with `ROUTES = Routes()` and one line here."""

from __future__ import annotations

from provisioner.sandbox.routes import (
    application_settings,
    branches,
    commits,
    deploy_tokens,
    files,
    graphql,
    groups,
    instance,
    job_token_scope,
    members,
    merge_request_lists,
    merge_requests,
    packages,
    project_lists,
    project_runners,
    projects,
    protected_environments,
    protected_refs,
    registry,
    runners,
    tags,
    users,
    variables,
)
from provisioner.sandbox.routing import RouteTable

MODULES = (
    instance,
    application_settings,
    users,
    groups,
    projects,
    project_lists,
    members,
    variables,
    runners,
    project_runners,
    job_token_scope,
    registry,
    deploy_tokens,
    branches,
    tags,
    protected_refs,
    protected_environments,
    files,
    commits,
    merge_requests,
    merge_request_lists,
    packages,
    graphql,
)


def build_table() -> RouteTable:
    return RouteTable([module.ROUTES for module in MODULES])
