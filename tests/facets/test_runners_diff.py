"""The runners diff is pure: (inventory, observed runners) -> changes, as tables."""

from __future__ import annotations

from dataclasses import replace

import pytest

from provisioner.facets.runners import ObservedRunners, RunnerSelectionError, Selection, diff_runners
from provisioner.facets.runners_created import _Create, _Remove, _Reset, _Update
from provisioner.gitlab.runners import NOTE_LIMIT, RunnerRecord, Verification, to_record, with_mark
from provisioner.inventory.schema import ProjectRunner, Runners, RunnerSelector, TokenStore
from provisioner.model import Action

PROJECT = 7


def runner(rid: int = 1, description: str = "docker", **kw: object) -> RunnerRecord:
    kw.setdefault("project_ids", (PROJECT,))
    return RunnerRecord(id=rid, description=description, **kw)  # type: ignore[arg-type]


def observed(
    *assigned: RunnerRecord, toggles: dict[str, bool] | None = None, selections=()
) -> ObservedRunners:
    return ObservedRunners(PROJECT, toggles or {}, tuple(assigned), tuple(selections))


def diff(config: Runners, obs: ObservedRunners):
    return diff_runners("runners", "grp/app", config, obs)


def actions(changes):
    return [(c.action, c.target) for c in changes]


@pytest.mark.parametrize(
    ("config", "obs", "expected"),
    [
        # toggles: one change for both, only what differs
        (
            Runners(shared_runners_enabled=False, group_runners_enabled=True),
            observed(toggles={"shared_runners_enabled": True, "group_runners_enabled": True}),
            [(Action.UPDATE, "runner settings")],
        ),
        (Runners(shared_runners_enabled=True), observed(toggles={"shared_runners_enabled": True}), []),
        # created runners: missing -> create, same -> nothing, different -> update in place
        (
            Runners(create=[ProjectRunner(description="docker")]),
            observed(),
            [(Action.CREATE, 'runner "docker"')],
        ),
        (Runners(create=[ProjectRunner(description="docker")]), observed(runner()), []),
        (
            Runners(create=[ProjectRunner(description="docker", tags=["b", "a", "a"])]),
            observed(runner(tags=("a", "b"))),
            [],
        ),
        (
            Runners(create=[ProjectRunner(description="docker", locked=True)]),
            observed(runner()),
            [(Action.UPDATE, 'runner "docker"')],
        ),
        # unnamed runners: reported; with prune, unassigned unless this project owns them
        (
            Runners(prune=False, create=[]),
            observed(runner(2, "other")),
            [(Action.UNMANAGED, 'runner "other" (#2)')],
        ),
        (
            Runners(prune=True),
            observed(runner(2, "other", project_ids=(99, PROJECT))),
            [(Action.DELETE, 'runner assignment "other" (#2)')],
        ),
        (Runners(prune=True), observed(runner(2, "other")), [(Action.UNMANAGED, 'runner "other" (#2)')]),
        # GitLab does not say who owns it: try, GitLab's 403 then names the cause
        (
            Runners(prune=True),
            observed(runner(2, "other", project_ids=None)),
            [(Action.DELETE, 'runner assignment "other" (#2)')],
        ),
    ],
)
def test_diff_table(config, obs, expected):
    assert actions(diff(config, obs)) == expected


def test_update_sends_only_what_differs_under_gitlabs_names():
    config = Runners(create=[ProjectRunner(description="docker", tags=["py"], maximum_timeout=3600)])
    (change,) = diff(config, observed(runner(tags=("docker",), maximum_timeout=None)))
    assert change.before == {"tags": ["docker"], "maximum_timeout": None}
    assert change.after == {"tags": ["py"], "maximum_timeout": 3600}
    assert change.payload == _Update(1, {"tag_list": ["py"], "maximum_timeout": 3600})


def test_optional_fields_left_out_are_not_compared():
    config = Runners(create=[ProjectRunner(description="docker")])
    assert diff(config, observed(runner(maximum_timeout=7200, maintenance_note="hand-made"))) == []


def test_create_says_where_the_token_goes_and_never_holds_a_token():
    config = Runners(
        create=[
            ProjectRunner(description="docker"),
            ProjectRunner(description="gpu", token=TokenStore(file="gpu.token")),
        ]
    )
    created = diff(config, observed())
    assert [c.after["token"] for c in created] == [
        "keyring provisioner-runner/grp/app/docker",
        "file gpu.token",
    ]
    assert isinstance(created[0].payload, _Create)
    assert created[0].payload.body["description"] == "docker"
    assert created[0].payload.default_keyring == "provisioner-runner/grp/app/docker"


def test_duplicate_descriptions_keep_the_oldest_and_report_the_rest():
    config = Runners(create=[ProjectRunner(description="docker")], prune=True)
    changes = diff(config, observed(runner(5), runner(3)))
    assert actions(changes) == [(Action.UNMANAGED, 'runner "docker" (#5)')]
    assert "#3" in changes[0].after["note"]


def test_selectors_assign_the_one_match_and_count_as_managed():
    other = runner(9, "shared-docker", project_ids=(42,))
    selection = Selection(RunnerSelector(description="shared-docker"), (other,))
    changes = diff(Runners(assign=[selection.selector], prune=True), observed(selections=[selection]))
    assert actions(changes) == [(Action.CREATE, 'runner assignment "shared-docker" (#9)')]
    assigned = observed(runner(9, "shared-docker", project_ids=(42, PROJECT)), selections=[selection])
    assert diff(Runners(assign=[selection.selector], prune=True), assigned) == []


@pytest.mark.parametrize(
    ("matches", "message"),
    [
        ((), "no project runner this token can see matches tags ['gpu']"),
        ((runner(1), runner(2)), "2 runners match"),
    ],
)
def test_a_selector_must_match_exactly_one_runner(matches, message):
    selection = Selection(RunnerSelector(tags=["gpu"]), matches)
    with pytest.raises(RunnerSelectionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        diff(Runners(assign=[selection.selector]), observed(selections=[selection]))


def test_runner_details_normalise():
    record = to_record(
        {
            "id": 4,
            "description": None,
            "active": False,
            "tag_list": ["b", "a", "b"],
            "projects": [{"id": 3}, {"id": 8}],
            "maintenance_note": "",
        }
    )
    assert record == RunnerRecord(id=4, description="", paused=True, tags=("a", "b"), project_ids=(3, 8))
    assert to_record({"id": 4, "paused": False, "active": False}).paused is False
    assert to_record({"id": 4}).project_ids is None


def test_schema_rejects_duplicate_runner_descriptions():
    with pytest.raises(ValueError, match="given twice"):
        Runners(create=[ProjectRunner(description="a"), ProjectRunner(description="a")])


# -- runners the tool created: its mark, duplicates of concurrent runs, stale tokens (issue 19) ----------
MARKED = with_mark(None)


def diff_stored(obs: ObservedRunners, stored: Verification | None):
    config = Runners(create=[ProjectRunner(description="docker")])
    verified = {} if stored is None else {"docker": stored}
    return diff_runners("runners", "grp/app", config, replace(obs, stored_tokens=verified))


def test_a_marked_duplicate_whose_token_nobody_holds_is_removed_and_the_held_one_kept():
    obs = observed(runner(3, maintenance_note=MARKED), runner(5, maintenance_note=MARKED), runner(7))
    changes = diff_stored(obs, Verification(valid=True, runner_id=5))
    assert actions(changes) == [
        (Action.DELETE, 'runner "docker" (#3)'),
        (Action.UNMANAGED, 'runner "docker" (#7)'),  # not the tool's: a person's to delete
    ]
    assert changes[0].payload == _Remove(3) and "#5" in changes[0].before["reason"]


def test_a_duplicate_that_talked_to_gitlab_or_an_unreadable_store_is_only_reported():
    obs = observed(runner(3, maintenance_note=MARKED), runner(5, maintenance_note=MARKED, contacted=True))
    assert actions(diff_stored(obs, Verification(valid=True, runner_id=3))) == [
        (Action.UNMANAGED, 'runner "docker" (#5)')
    ]
    both = observed(runner(3, maintenance_note=MARKED), runner(5, maintenance_note=MARKED))
    assert actions(diff_stored(both, None)) == [(Action.UNMANAGED, 'runner "docker" (#5)')]


def test_a_stored_token_that_no_longer_verifies_is_reset_and_kept():
    changes = diff_stored(observed(runner(3, maintenance_note=MARKED)), Verification(valid=False))
    assert actions(changes) == [(Action.UPDATE, 'runner "docker" token')]
    assert changes[0].payload == _Reset(3, TokenStore(), "provisioner-runner/grp/app/docker")
    assert "403" in changes[0].before["token"]
    # a token of some other runner is no better
    assert actions(diff_stored(observed(runner(3)), Verification(valid=True, runner_id=99))) == actions(
        changes
    )


def test_the_mark_is_the_tools_and_a_note_is_compared_without_it():
    marked = runner(3, maintenance_note=with_mark("on call: team-a"))
    assert (marked.marked, marked.note) == (True, "on call: team-a")
    assert (runner(4, maintenance_note="mine").marked, runner(4, maintenance_note=MARKED).note) == (
        False,
        None,
    )
    config = Runners(create=[ProjectRunner(description="docker", maintenance_note="on call: team-b")])
    (change,) = diff(config, observed(marked))
    assert change.after == {"maintenance_note": "on call: team-b"}
    assert change.payload == _Update(3, {"maintenance_note": with_mark("on call: team-b")})
    created = diff(config, observed())[0].payload.body
    assert created["maintenance_note"] == "on call: team-b"  # the area module adds the mark on create
    # the longest note the inventory takes still fits GitLab's limit with the mark
    ProjectRunner(description="docker", maintenance_note="n" * 980)
    with pytest.raises(ValueError, match="at most 980"):
        ProjectRunner(description="docker", maintenance_note="n" * 981)
    assert len(with_mark("n" * 980)) == NOTE_LIMIT
