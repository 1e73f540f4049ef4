"""The Project entity (REFERENCE 2.1 "Response"), with the fields each caller may see."""

from __future__ import annotations

from typing import Any

from provisioner.sandbox.auth import can_read_code, project_access
from provisioner.sandbox.project_attrs import ATTRS, known, render_policy
from provisioner.sandbox.state import GUEST, MAINTAINER, Project, State, User
from provisioner.sandbox.views import namespace_json, shares_json


def project_basic(state: State, project: Project, origin: str) -> dict[str, Any]:
    """BasicProjectDetails: what `simple=true` lists and allowlists show."""
    full_path = state.project_full_path(project)
    ns = state.namespaces[project.namespace_id]
    names = [a.name for a in reversed(state.ancestors(ns.id))]
    web_url = f"{origin}/{full_path}"
    return {
        "id": project.id,
        "description": project.description,
        "name": project.name,
        "name_with_namespace": " / ".join([*names, project.name]),
        "path": project.path,
        "path_with_namespace": full_path,
        "created_at": project.created_at,
        "default_branch": project.default_branch,
        "tag_list": list(project.topics),
        "topics": list(project.topics),
        "ssh_url_to_repo": f"git@{origin.split('://', 1)[-1].split(':')[0]}:{full_path}.git",
        "http_url_to_repo": f"{web_url}.git",
        "web_url": web_url,
        "readme_url": f"{web_url}/-/blob/{project.default_branch}/README.md"
        if project.default_branch and _has_readme(project)
        else None,
        "forks_count": 0,
        "avatar_url": None,
        "star_count": 0,
        "last_activity_at": project.updated_at,
        "visibility": project.visibility,
        "namespace": namespace_json(state, ns, origin),
    }


def _has_readme(project: Project) -> bool:
    head = project.repo.branches.get(project.default_branch or "")
    return head is not None and "README.md" in project.repo.commits[head].tree


def project_json(state: State, project: Project, origin: str, viewer: User | None) -> dict[str, Any]:
    level = project_access(state, viewer, project)
    is_admin_project = level >= MAINTAINER
    reads_code = can_read_code(state, viewer, project)
    full_path = state.project_full_path(project)
    api = f"{origin}/api/v4/projects/{project.id}"
    data = project_basic(state, project, origin) | {
        "container_registry_image_prefix": f"registry.sandbox.test/{full_path.lower()}",
        "_links": {
            "self": api,
            "issues": f"{api}/issues",
            "merge_requests": f"{api}/merge_requests",
            "repo_branches": f"{api}/repository/branches",
            "labels": f"{api}/labels",
            "events": f"{api}/events",
            "members": f"{api}/members",
            "cluster_agents": f"{api}/cluster_agents",
        },
        "empty_repo": not project.repo.commits,
        "archived": project.archived,
        "repository_object_format": "sha1",
        "issues_enabled": project.settings["issues_access_level"] != "disabled",
        "merge_requests_enabled": project.settings["merge_requests_access_level"] != "disabled",
        "wiki_enabled": project.settings["wiki_access_level"] != "disabled",
        "jobs_enabled": project.settings["builds_access_level"] != "disabled",
        "snippets_enabled": project.settings["snippets_access_level"] != "disabled",
        "container_registry_enabled": project.settings["container_registry_access_level"] != "disabled",
        "creator_id": project.creator_id,
        "import_status": "none",
        "open_issues_count": 0,
        "updated_at": project.updated_at,
        "shared_with_groups": shares_json(state, project.shared_with, viewer),
    }
    for attr in ATTRS:
        if not known(attr, state.version):
            continue
        if attr.visible == "admin" and not is_admin_project:
            continue
        if attr.visible == "read_code" and not reads_code:
            continue
        value = project.settings.get(attr.name, attr.default)
        data[attr.name] = list(value) if isinstance(value, list) else value
    data["packages_enabled"] = project.settings["package_registry_access_level"] != "disabled"
    data["container_expiration_policy"] = render_policy(project.container_policy, _next_run(project))
    if is_admin_project:
        data["ci_job_token_scope_enabled"] = False  # outbound scope, read-only and deprecated
        data["runners_token"] = f"GR1348941sandbox{project.id:08d}"
        data["service_desk_enabled"] = False
    data["permissions"] = _permissions(state, project, viewer, level)
    return data


def _next_run(project: Project) -> str:
    return project.created_at


def _permissions(state: State, project: Project, viewer: User | None, level: int) -> dict[str, Any]:
    if viewer is None:
        return {"project_access": None, "group_access": None}
    member = project.members.get(viewer.id)
    group_level = 0
    for ns in state.ancestors(project.namespace_id):
        if ns.kind == "group" and viewer.id in ns.members:
            group_level = max(group_level, ns.members[viewer.id].access_level)
    return {
        "project_access": {"access_level": member.access_level, "notification_level": 3} if member else None,
        "group_access": {"access_level": group_level, "notification_level": 3}
        if group_level >= GUEST
        else None,
    }
