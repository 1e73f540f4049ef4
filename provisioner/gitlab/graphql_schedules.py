"""The bulk read of projects' pipeline schedules and their variables: `Project.pipelineSchedules`, 100
per project, each with its variables (100), for many projects in one query
[G:app/graphql/resolvers/ci/project_pipeline_schedules_resolver.rb, app/graphql/types/ci/
pipeline_schedule_type.rb, pipeline_schedule_variable_type.rb, variable_interface.rb]. It answers, under
the same cache keys, what `GET /projects/:id/pipeline_schedules` lists and what each schedule's
`GET .../pipeline_schedules/:id` shows of its variables (`provisioner.gitlab.pipeline_schedules`).

How the two views compare, field by field:
- `refForDisplay` is the stored ref without `refs/heads/` or `refs/tags/` (`ref_for_display`
  [G:app/models/ci/pipeline_schedule.rb]), where REST shows it as stored (`refs/heads/main`). Every
  reader of `ScheduleRecord.ref` compares and shows it through `short_ref`, which strips the same
  prefix: the short form is cached, and reads the same.
- `owner` (UserCore, `authorize :read_user`) may be null where REST names the owner: a schedule
  without an owner caches nothing for the project, so that REST says who owns it (the facet's
  "owned by" note and its take-over rule rest on it).
- `variables` has `authorize: :read_pipeline_schedule_variables` (a Maintainer, or the schedule's
  owner with Developer access [G:app/policies/ci/pipeline_schedule_policy.rb]), the ability REST's
  details check before they carry `variables` [G:lib/api/entities/ci/pipeline_schedule_details.rb]:
  where GraphQL answers null, nothing is cached for that schedule and REST answers (None, as before).
  Each variable node is authorized by the same ability, on its schedule
  [G:app/policies/ci/pipeline_schedule_variable_policy.rb `delegate :pipeline_schedule`]: none is
  dropped from a list the field shows. Values are the stored ones in both (VariableInterface `value`;
  schedule variables are never masked or hidden).
- Nodes the token may not read are dropped from a page after it is counted
  (`Types::CountableConnectionType`): a page whose nodes are fewer than its `count` caches nothing.

Every field selected exists in every GitLab the tool supports: the type and `refForDisplay` since
pipeline schedules came to GraphQL (13.x), `variables` with the PipelineScheduleVariable type
(gitlab-org/gitlab!97849, 15.x) -- nothing to gate. GitLab's description of the field says it "can
only be resolved for one project per request", but no version of the resolver read enforces it
(no `Gitlab::Graphql::Limit::FieldCallCount`, which `ProjectJobsResolver` has for `jobs`); should a
GitLab refuse it for the other projects of a query, their field is null and REST reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.gitlab.cache import RunCache
from provisioner.gitlab.graphql_reads import PAGE, Read, Wanted, complete, numeric_id
from provisioner.gitlab.pipeline_schedules import (
    SCHEDULES,
    ScheduleRecord,
    ScheduleVariableRecord,
    to_record,
    to_variable,
    variables_key,
)


def _store(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("pipelineSchedules")
    if not complete(found) or len(found["nodes"]) != found.get("count"):
        return
    records: list[ScheduleRecord] = []
    shown: dict[int, tuple[ScheduleVariableRecord, ...]] = {}
    for schedule in found["nodes"]:
        owner = (schedule or {}).get("owner")
        if not owner:
            return  # REST says who owns it
        # As REST shows them, so that one reader (`to_record`, `to_variable`) makes the records.
        record = to_record(
            {
                "id": numeric_id(schedule["id"]),
                "description": schedule.get("description"),
                "ref": schedule.get("refForDisplay"),
                "cron": schedule.get("cron"),
                "cron_timezone": schedule.get("cronTimezone"),
                "active": schedule.get("active"),
                "owner": {"id": numeric_id(owner["id"]), "username": owner.get("username")},
            }
        )
        records.append(record)
        variables = schedule.get("variables")
        if complete(variables) and all(variables["nodes"]):
            shown[record.id] = tuple(
                to_variable(
                    {
                        "key": v["key"],
                        "value": v.get("value"),
                        "variable_type": str(v.get("variableType") or "ENV_VAR").lower(),
                    }
                )
                for v in variables["nodes"]
            )
    cache.put(project_id, SCHEDULES, tuple(records))
    for schedule_id, variables_shown in shown.items():
        cache.put(project_id, variables_key(schedule_id), variables_shown)


SCHEDULES_READ = Read(
    "pipeline_schedules",
    f"pipelineSchedules(first: 100) {{ count {PAGE} nodes {{ id description refForDisplay cron cronTimezone "
    f"active owner {{ id username }} variables(first: 100) {{ {PAGE} nodes {{ key value variableType }} }} }} }}",
    _store,
)
