"""The runner a create's 201 stored, known from what was sent (gitlab.runners._as_created)."""

from __future__ import annotations

from provisioner.gitlab.runners import MARK, RunnerRecord, _as_created

SENT = {
    "description": "ci",
    "tag_list": ["linux", "docker"],
    "run_untagged": False,
    "locked": True,
    "paused": False,
    "access_level": "ref_protected",
    "maximum_timeout": 3600,
    "maintenance_note": f"ours\n{MARK}",
    "runner_type": "project_type",
    "project_id": 7,
}


def test_a_created_runner_is_what_was_sent_assigned_to_the_project_and_marked() -> None:
    record = _as_created(41, 7, SENT)

    assert record == RunnerRecord(
        id=41,
        description="ci",
        tags=("docker", "linux"),
        run_untagged=False,
        locked=True,
        access_level="ref_protected",
        maximum_timeout=3600,
        maintenance_note=f"ours\n{MARK}",
        project_ids=(7,),
    )
    assert record.marked and record.note == "ours" and not record.contacted


def test_tags_gitlab_splits_or_strips_are_read_again_not_assumed() -> None:
    # GitLab's CommaSeparatedToArray splits each tag on commas and strips it before storing.
    assert _as_created(41, 7, {**SENT, "tag_list": ["linux,docker"]}) is None
    assert _as_created(41, 7, {**SENT, "tag_list": [" linux"]}) is None
