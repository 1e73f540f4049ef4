"""Pipeline schedules as GitLab keeps them [G:lib/api/ci/pipeline_schedules.rb,
app/policies/ci/pipeline_schedule_policy.rb, app/models/ci/pipeline_schedule.rb]."""

from __future__ import annotations

from provisioner.sandbox.seed import DANA_TOKEN

BILLING = "/projects/platform%2Fbilling"
SCHEDULES = f"{BILLING}/pipeline_schedules"


def test_a_short_ref_is_stored_full_and_bad_cron_or_zone_refused(sandbox):
    """`expand_short_ref`: `main` exists as a branch, so `refs/heads/main`; CronValidator wording."""
    made = sandbox.api.post(SCHEDULES, json={"description": "nightly", "ref": "main", "cron": " 0 3 * * * "})
    assert made.status_code == 201
    assert (
        made.json()["ref"],
        made.json()["cron"],
        made.json()["cron_timezone"],
        made.json()["variables"],
    ) == (
        "refs/heads/main",
        "0 3 * * *",
        "UTC",
        [],
    )
    unknown = sandbox.api.post(
        SCHEDULES, json={"description": "x", "ref": "no-such-branch", "cron": "0 3 * * *"}
    )
    assert unknown.json()["ref"] == "no-such-branch"  # kept as given
    bad = sandbox.api.post(
        SCHEDULES,
        json={"description": "x", "ref": "main", "cron": "0 25 * * *", "cron_timezone": "Mars/Base"},
    )
    assert (bad.status_code, bad.json()) == (
        400,
        {"message": {"cron": ["syntax is invalid"], "cron_timezone": ["syntax is invalid"]}},
    )


def test_only_the_owner_changes_a_schedule_until_a_maintainer_takes_it_over(sandbox):
    """update_pipeline_schedule: the owner (with Developer) or an administrator; take_ownership needs
    admin_pipeline_schedule and answers 201, or 200 when the caller already owns it."""
    made = (
        sandbox.as_user(DANA_TOKEN)
        .post(SCHEDULES, json={"description": "d", "ref": "main", "cron": "0 1 * * *"})
        .json()
    )
    maya, token = sandbox.user_with_token("maya")
    sandbox.add_member("groups", "platform", maya, 40)
    as_maya = sandbox.as_user(token)
    path = f"{SCHEDULES}/{made['id']}"
    assert as_maya.put(path, json={"active": False}).status_code == 403
    assert as_maya.get(path).json()["variables"] == []  # a Maintainer reads the variables
    assert as_maya.post(f"{path}/take_ownership").status_code == 201
    assert as_maya.post(f"{path}/take_ownership").status_code == 200
    assert as_maya.put(path, json={"active": False}).json()["active"] is False
    assert "variables" not in sandbox.as_user(DANA_TOKEN).get(path).json()  # no longer hers
    assert as_maya.delete(path).status_code == 204


def test_variables_need_the_owner_and_the_project_s_leave_to_set_pipeline_variables(sandbox):
    """`set_pipeline_variables` follows restrict_user_defined_variables and the minimum role; deleting a
    variable answers 202 with it."""
    made = sandbox.api.post(SCHEDULES, json={"description": "n", "ref": "main", "cron": "0 1 * * *"}).json()
    variables = f"{SCHEDULES}/{made['id']}/variables"
    maya, token = sandbox.user_with_token("maya")
    sandbox.add_member("groups", "platform", maya, 40)
    sandbox.as_user(token).post(f"{SCHEDULES}/{made['id']}/take_ownership")
    as_maya = sandbox.as_user(token)
    assert as_maya.post(variables, json={"key": "A", "value": "1"}).status_code == 403  # no_one_allowed
    sandbox.api.put(BILLING, json={"ci_pipeline_variables_minimum_override_role": "maintainer"})
    assert as_maya.post(variables, json={"key": "A", "value": "1"}).json() == {
        "variable_type": "env_var",
        "key": "A",
        "value": "1",
        "raw": False,
    }
    assert as_maya.post(variables, json={"key": "A", "value": "2"}).json() == {
        "message": {"key": ["(A) has already been taken"]}
    }
    assert (
        as_maya.put(f"{variables}/A", json={"value": "2", "variable_type": "file"}).json()["variable_type"]
        == "file"
    )
    gone = as_maya.delete(f"{variables}/A")
    assert (gone.status_code, gone.json()["key"]) == (202, "A")


def test_the_list_carries_no_variables_and_filters_by_scope(sandbox):
    sandbox.api.post(SCHEDULES, json={"description": "on", "ref": "main", "cron": "0 1 * * *"})
    sandbox.api.post(
        SCHEDULES, json={"description": "off", "ref": "main", "cron": "0 1 * * *", "active": False}
    )
    listed = sandbox.api.get(SCHEDULES).json()
    assert [s["description"] for s in listed] == ["on", "off"] and all("variables" not in s for s in listed)
    assert [s["description"] for s in sandbox.api.get(f"{SCHEDULES}?scope=inactive").json()] == ["off"]
    assert sandbox.api.get(f"{SCHEDULES}?scope=paused").status_code == 400


QUERY = """query($p: [String!]) { projects(fullPaths: $p) { nodes { pipelineSchedules {
  count pageInfo { hasNextPage } nodes { id description refForDisplay ref forTag cron cronTimezone active
  owner { id username } variables { nodes { key value variableType raw } } } } } } }"""


def _schedules(sandbox, token=...):
    answer = sandbox.graphql(QUERY, {"p": ["platform/billing"]}, token=token)
    assert "errors" not in answer, answer
    return answer["data"]["projects"]["nodes"][0]["pipelineSchedules"]


def test_graphql_pipeline_schedules_show_the_short_ref_and_variables_to_who_may_read_them(sandbox):
    """[G:app/graphql/types/ci/pipeline_schedule_type.rb]: `ref`/`refForDisplay` are `ref_for_display`
    (refs/heads/ and refs/tags/ stripped), newest first; `variables` has `authorize:
    :read_pipeline_schedule_variables` (null for a Developer who does not own it, as REST leaves them out)."""
    sandbox.api.post(f"{BILLING}/repository/tags", json={"tag_name": "v1", "ref": "main"})
    sandbox.api.put(BILLING, json={"ci_pipeline_variables_minimum_override_role": "developer"})
    by_admin = sandbox.api.post(SCHEDULES, json={"description": "tagged", "ref": "v1", "cron": "0 1 * * *"})
    added = sandbox.api.post(
        f"{SCHEDULES}/{by_admin.json()['id']}/variables", json={"key": "K", "value": "s3"}
    )
    assert added.status_code == 201, added.text
    by_dana = sandbox.as_user(DANA_TOKEN).post(
        SCHEDULES, json={"description": "nightly", "ref": "main", "cron": "0 3 * * *", "active": False}
    )
    assert by_admin.json()["ref"] == "refs/tags/v1" and by_dana.json()["ref"] == "refs/heads/main"

    found = _schedules(sandbox)
    assert (found["count"], found["pageInfo"]["hasNextPage"]) == (2, False)
    nightly, tagged = found["nodes"]
    assert nightly["id"] == f"gid://gitlab/Ci::PipelineSchedule/{by_dana.json()['id']}"
    assert (nightly["ref"], nightly["refForDisplay"], nightly["forTag"], nightly["active"]) == (
        "main",
        "main",
        False,
        False,
    )
    assert (tagged["ref"], tagged["forTag"], tagged["cronTimezone"]) == ("v1", True, "UTC")
    assert nightly["owner"]["username"] == "dana" and nightly["variables"] == {"nodes": []}
    assert tagged["variables"]["nodes"] == [
        {"key": "K", "value": "s3", "variableType": "ENV_VAR", "raw": False}
    ]

    as_dana = _schedules(sandbox, token=DANA_TOKEN)["nodes"]
    assert [s["variables"] for s in as_dana] == [{"nodes": []}, None]  # only her own schedule's


def test_graphql_pipeline_schedules_are_counted_but_not_shown_to_who_may_not_read_them(sandbox):
    """The page is cut, counted, then its nodes authorized (`authorize :read_pipeline_schedule`)."""
    sandbox.api.post(SCHEDULES, json={"description": "nightly", "ref": "main", "cron": "0 3 * * *"})
    ron, token = sandbox.user_with_token("reporter-ron")
    project = sandbox.api.get(BILLING).json()
    sandbox.add_member("projects", str(project["id"]), ron, 20)
    found = _schedules(sandbox, token=token)
    assert (found["count"], found["nodes"]) == (1, [])
