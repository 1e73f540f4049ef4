"""`Project.pipelineSchedules`: a project's pipeline schedules and their variables
[G:app/graphql/resolvers/ci/project_pipeline_schedules_resolver.rb, app/graphql/types/ci/
pipeline_schedule_type.rb, pipeline_schedule_variable_type.rb, variable_interface.rb,
app/policies/ci/pipeline_schedule_policy.rb, pipeline_schedule_variable_policy.rb].

- Newest first (the resolver's default sort, `id_desc`); a countable connection (`count`).
- A page is cut before its nodes are authorized (`authorize :read_pipeline_schedule` on the type):
  a caller who may not read schedules gets the `count` and no nodes. Who may read them is the
  sandbox's REST rule (Developer, routes/pipeline_schedules.py).
- `refForDisplay` and `ref` are the stored ref without `refs/heads/` or `refs/tags/`
  (`ref_for_display` [G:app/models/ci/pipeline_schedule.rb]); `forTag`, whether it is `refs/tags/...`.
- `owner` is the owner's UserCore, null when the user is gone.
- `variables` is null for who may not `read_pipeline_schedule_variables` (a Maintainer, or the owner
  with Developer access), as REST leaves them out of the details; each variable node is authorized by
  the same ability on its schedule (`delegate :pipeline_schedule`). Values are as stored.
- GitLab's field description says it "can only be resolved for one project per request"; no version
  of the resolver read enforces it (no `Gitlab::Graphql::Limit::FieldCallCount`), nor does the sandbox.
"""

from __future__ import annotations

import re
from typing import Any

from provisioner.sandbox.auth import project_access
from provisioner.sandbox.routes.graphql_resolve import Context, connection, gid
from provisioner.sandbox.routes.pipeline_schedules import may_admin
from provisioner.sandbox.state import DEVELOPER, PipelineSchedule, Project

_PREFIX = re.compile(r"^refs/(heads|tags)/")


def pipeline_schedules(ctx: Context, project: Project, args: dict[str, Any]) -> dict[str, Any]:
    newest_first = sorted(project.pipeline_schedules, key=lambda s: s.id, reverse=True)
    readable = project_access(ctx.state, ctx.viewer, project) >= DEVELOPER
    found = connection(newest_first, lambda s: _schedule(ctx, project, s), args)
    if not readable:
        found["nodes"], found["edges"] = [], []
    return found


def ref_for_display(ref: str) -> str | None:
    return _PREFIX.sub("", ref, count=1) if ref else None


def _schedule(ctx: Context, project: Project, schedule: PipelineSchedule) -> dict[str, Any]:
    owner = ctx.state.users.get(schedule.owner_id)
    shown = ref_for_display(schedule.ref)
    return {
        "id": gid("Ci::PipelineSchedule", schedule.id),
        "description": schedule.description,
        "active": schedule.active,
        "cron": schedule.cron,
        "cronTimezone": schedule.cron_timezone,
        "refForDisplay": shown,
        "ref": shown,
        "forTag": schedule.ref.startswith("refs/tags/"),
        "owner": (
            {"id": gid("User", owner.id), "username": owner.username, "name": owner.name} if owner else None
        ),
        "variables": lambda info, **args: (
            connection(schedule.variables, _variable, args)
            if may_admin(ctx.state, ctx.viewer, project, schedule)
            else None
        ),
    }


def _variable(variable: Any) -> dict[str, Any]:
    return {
        # Schedule variables have no id in the sandbox's model: the key stands in for the row id.
        "id": gid("Ci::PipelineScheduleVariable", variable.key),
        "key": variable.key,
        "value": variable.value,
        "variableType": variable.variable_type.upper(),
        "raw": variable.raw,
    }
