"""The CI/CD catalog [G:doc/ci/components/_index.md 'Publish a component project']: whether a project
is a catalog project, and making it one.

Only GraphQL has it: the project's `isCatalogResource` and the mutation `catalogResourcesCreate`
[G:app/graphql/mutations/ci/catalog/resources/create.rb], which needs the project's Owner (issue
gitlab-org/gitlab#463043 proposes a REST route). A version reaches the catalog when the project's
pipeline releases a tag with the `release` keyword; `POST /projects/:id/catalog/publish` is that job's,
with its job token, and is not for API clients [G:lib/api/ci/catalog.rb].
"""

from __future__ import annotations

from typing import Any

from provisioner.errors import NotFound, Rejected
from provisioner.gitlab.api import GitLabApi

FEATURE = "graphql:Mutation.catalogResourcesCreate"
_READ = "query($path: ID!) { project(fullPath: $path) { isCatalogResource } }"
_CREATE = "mutation($path: ID!) { catalogResourcesCreate(input: {projectPath: $path}) { errors } }"


def is_catalog_project(api: GitLabApi, project_path: str) -> bool:
    answer = _graphql(api, _READ, project_path)
    project = (answer.get("data") or {}).get("project")
    if project is None:
        raise NotFound("POST", "/api/graphql", 404, f"project {project_path} not found")
    return bool(project.get("isCatalogResource"))


def make_catalog_project(api: GitLabApi, project_path: str) -> None:
    answer = _graphql(api, _CREATE, project_path)
    payload = (answer.get("data") or {}).get("catalogResourcesCreate") or {}
    errors = [str(e) for e in payload.get("errors") or ()]
    if errors:
        raise Rejected("POST", "/api/graphql (catalogResourcesCreate)", 422, "; ".join(errors))


def _graphql(api: GitLabApi, query: str, project_path: str) -> Any:
    answer = api.graphql(query, {"path": project_path})
    if not isinstance(answer, dict):
        raise Rejected("POST", "/api/graphql", None, "GraphQL answered something that is not an object")
    if answer.get("errors"):
        messages = "; ".join(str(e.get("message", e)) for e in answer["errors"])
        raise Rejected("POST", "/api/graphql", None, messages)
    return answer
