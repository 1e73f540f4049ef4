"""Who may read and who may manage a runner, as GitLab's runner policy says [G:app/policies/ci/
runner_policy.rb]. GraphQL authorises every `CiRunner` node with `read_runner`: a runner the caller may
not read is left out of a connection without an error [G:app/graphql/types/ci/runner_type.rb
`authorize :read_runner`]."""

from __future__ import annotations

from provisioner.sandbox.auth import namespace_access, project_access
from provisioner.sandbox.state import MAINTAINER, OWNER, Project, Runner, State, User


def owned_or_instance_wide(state: State, project: Project) -> list[Runner]:
    """`Ci::Runner.owned_or_instance_wide(project)`, what REST `/projects/:id/runners` and GraphQL
    `Project.runners` both list (Ci::RunnersFinder): the runners assigned to the project, the group
    runners of its group and that group's ancestors when the project's `group_runners_enabled`, and the
    instance runners when its `shared_runners_enabled` [G:app/models/ci/runner.rb,
    app/finders/ci/runners_finder.rb `project_runners`]."""
    settings = project.settings
    groups = {ns.id for ns in state.ancestors(project.namespace_id) if ns.kind == "group"}
    return [
        r
        for r in state.runners.values()
        if (r.runner_type == "project_type" and project.id in r.project_ids)
        or (r.runner_type == "group_type" and settings["group_runners_enabled"] and groups & set(r.group_ids))
        or (r.runner_type == "instance_type" and settings["shared_runners_enabled"])
    ]


def can_manage(state: State, user: User, runner: Runner) -> bool:
    """`can_admin_runner` (admins; the owning group's Owners; Maintainers of the owner project) or, for a
    project runner shared with several projects, a Maintainer of any of them (`runner_available`)."""
    if user.is_admin:
        return True
    if runner.runner_type == "group_type":
        return any(namespace_access(state, user, g) >= OWNER for g in runner.group_ids)
    if runner.runner_type == "project_type":
        return any(
            project_access(state, user, state.projects[i]) >= MAINTAINER
            for i in runner.project_ids
            if i in state.projects
        )
    return False


def can_read(state: State, user: User | None, runner: Runner) -> bool:
    """`read_runner`: nobody anonymous; administrators; anyone signed in for an instance runner; for a
    group runner a Maintainer of its group (inherited) or of a project below it that takes group runners;
    for a project runner a Maintainer of any project it is assigned to."""
    if user is None:
        return False
    if user.is_admin or runner.runner_type == "instance_type":
        return True
    if runner.runner_type == "group_type":
        if any(namespace_access(state, user, g) >= MAINTAINER for g in runner.group_ids):
            return True
        below = {d.id for g in runner.group_ids for d in state.descendants(g)} | set(runner.group_ids)
        return any(
            p.namespace_id in below
            and p.settings.get("group_runners_enabled")
            and project_access(state, user, p) >= MAINTAINER
            for p in state.projects.values()
        )
    return any(
        project_access(state, user, state.projects[i]) >= MAINTAINER
        for i in runner.project_ids
        if i in state.projects
    )
