"""The API's route modules. Adding an area is one module with `ROUTES = Routes()` and one line here."""

from __future__ import annotations

from provisioner.sandbox.routes import (
    branches,
    commits,
    deploy_tokens,
    files,
    graphql,
    groups,
    instance,
    job_token_scope,
    members,
    merge_requests,
    packages,
    project_runners,
    projects,
    protected_refs,
    registry,
    runners,
    users,
    variables,
)
from provisioner.sandbox.routing import RouteTable

MODULES = (
    instance,
    users,
    groups,
    projects,
    members,
    variables,
    runners,
    project_runners,
    job_token_scope,
    registry,
    deploy_tokens,
    branches,
    protected_refs,
    files,
    commits,
    merge_requests,
    packages,
    graphql,
)


def build_table() -> RouteTable:
    return RouteTable([module.ROUTES for module in MODULES])
