"""The API's route modules. Adding an area is one module with `ROUTES = Routes()` and one line here."""

from __future__ import annotations

from provisioner.sandbox.routes import (
    application_settings,
    approvals,
    branches,
    commits,
    deploy_keys,
    deploy_tokens,
    files,
    graphql,
    groups,
    hooks,
    instance,
    job_token_scope,
    members,
    merge_request_lists,
    merge_requests,
    packages,
    pipeline_schedules,
    project_lists,
    project_runners,
    projects,
    protected_environments,
    protected_refs,
    push_rules,
    registry,
    runners,
    shares,
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
    shares,
    variables,
    runners,
    project_runners,
    job_token_scope,
    registry,
    deploy_tokens,
    deploy_keys,
    pipeline_schedules,
    branches,
    tags,
    protected_refs,
    protected_environments,
    approvals,
    push_rules,
    hooks,
    files,
    commits,
    merge_requests,
    merge_request_lists,
    packages,
    graphql,
)


def build_table() -> RouteTable:
    return RouteTable([module.ROUTES for module in MODULES])
