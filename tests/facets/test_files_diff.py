"""The files facet's pure side: observations in, one change per file out (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.blueprint import (
    LOCK_PATH,
    FileAction,
    Rendering,
    contents_needed,
    paths_to_observe,
    read_lock,
    render,
    sha256_text,
)
from provisioner.errors import ProvisionerError, Unobservable
from provisioner.facets.base import PlanOptions
from provisioner.facets.files import (
    FilesObserved,
    MergeConflicts,
    ProjectFiles,
    _lock_as_expected,
    proposal_id,
)
from provisioner.facets.files_pipeline import watched_ci_config_path
from provisioner.gitlab.repository import FileHead, MergeRequest
from provisioner.inventory.schema import Project, Settings
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef

PROJECT = "platform/demo-pkg"
SPEC = ProjectSpec(PROJECT, Project(blueprint="python-package"))


def rendering(**variables: Any) -> Rendering:
    return render("python-package", variables, project_path=PROJECT)


def observe(
    r: Rendering, files: dict[str, str], *, mr: MergeRequest | None = None, empty: bool = False
) -> FilesObserved:
    """What observe_files reads from a repository held in a dict."""
    heads = {
        p: FileHead(sha256_text(files[p]), f"commit-of-{p}") if p in files else None
        for p in paths_to_observe(r)
    }
    hashes = {p: h.sha256 if h else None for p, h in heads.items()}
    lock = read_lock(files.get(LOCK_PATH))
    texts = {p: files[p] for p in contents_needed(r, lock, hashes, for_display=True)}
    return FilesObserved(r, "main", empty, heads, lock, texts, mr)


def diff(observed: FilesObserved) -> list[Change]:
    return ProjectFiles().diff(SPEC, observed, PlanOptions())


def applied(r: Rendering, files: dict[str, str]) -> dict[str, str]:
    """The repository after the plan's changes are committed."""
    plan = observe(r, files).plan()
    return {**files, **{d.path: d.content for d in plan.changes if d.content is not None}}


def by_target(changes: list[Change]) -> dict[str, Change]:
    return {c.target: c for c in changes}


def test_a_new_project_gets_every_file_and_the_lock_with_diffs():
    r = rendering()
    changes = by_target(diff(observe(r, {})))

    assert set(changes) == {f"file {p}" for p in paths_to_observe(r)}
    assert all(c.action is Action.CREATE for c in changes.values())
    ci = changes["file .gitlab-ci.yml"]
    assert ci.after == {"policy": "managed", "reason": "missing"}
    assert ci.detail is not None and ci.detail.startswith("--- /dev/null\n+++ b/.gitlab-ci.yml\n")
    assert changes[f"file {LOCK_PATH}"].detail is None  # the tool's own record is not shown


def test_nothing_differs_nothing_planned():
    r = rendering()
    assert diff(observe(r, applied(r, {}))) == []


def test_an_overwrite_shows_the_current_content_going():
    r = rendering()
    ci = by_target(diff(observe(r, {".gitlab-ci.yml": "test:\n  script: [make]\n"})))["file .gitlab-ci.yml"]

    assert ci.action is Action.UPDATE and ci.payload.decision.action is FileAction.ADOPT
    assert ci.after is not None and "draft merge request" in ci.after["adoption"]
    assert ci.detail is not None
    assert "--- a/.gitlab-ci.yml" in ci.detail and "-  script: [make]" in ci.detail
    assert ci.payload.last_commit_id == "commit-of-.gitlab-ci.yml"  # the guard for the commit
    assert ci.payload.current == "test:\n  script: [make]\n"  # for the merge request's description


def test_a_proposed_adoption_is_awaiting_adoption():
    r = rendering()
    own = {".gitlab-ci.yml": "test:\n  script: [make]\n"}
    plan = observe(r, own).plan()

    changes = diff(observe(r, own, mr=_mr(proposal_id(plan.changes))))

    assert changes and all(c.action is Action.AWAITING for c in changes)
    assert all(c.after is not None and c.after["reason"].startswith("awaiting adoption: ") for c in changes)


def test_a_proposal_a_person_must_fix_fails_every_run_until_fixed():
    r = rendering()
    files = applied(r, {})
    files[".gitlab-ci.yml"] = files[".gitlab-ci.yml"].replace('"3.11", ', '"3.10", "3.11", ')
    newer = rendering(python_versions=["3.12", "3.13"])
    plan = observe(newer, files).plan()

    with pytest.raises(MergeConflicts, match=r"merge request !7 .* holds what a person must fix"):
        diff(observe(newer, files, mr=_mr(proposal_id(plan.changes))))


def test_a_team_edit_that_needs_nothing_is_a_notice():
    r = rendering()
    files = applied(r, {})
    files[".gitlab-ci.yml"] += "\nlint:\n  script: [ruff check]\n"

    changes = diff(observe(r, files))

    assert [(c.target, c.action) for c in changes] == [("file .gitlab-ci.yml", Action.UNMANAGED)]
    assert not changes[0].is_drift and "the edits are kept" in changes[0].after["note"]


def test_a_conflict_is_an_update_shown_with_markers():
    r = rendering()
    files = applied(r, {})
    files[".gitlab-ci.yml"] = files[".gitlab-ci.yml"].replace('"3.11", ', '"3.10", "3.11", ')
    newer = rendering(python_versions=["3.12", "3.13"])

    ci = by_target(diff(observe(newer, files)))["file .gitlab-ci.yml"]

    assert ci.action is Action.UPDATE and ci.payload.decision.action is FileAction.CONFLICT
    assert "merge request" in ci.after["conflict"]
    assert ci.detail is not None and "+<<<<<<< blueprint .gitlab-ci.yml" in ci.detail


def _mr(proposal: str | None, sha: str | None = "abc") -> MergeRequest:
    return MergeRequest(7, "https://gitlab.test/p/-/merge_requests/7", sha, proposal)


def test_a_merge_request_holding_the_same_changes_makes_them_awaiting():
    r = rendering()
    plan = observe(r, {}).plan()

    changes = diff(observe(r, {}, mr=_mr(proposal_id(plan.changes))))

    assert changes and all(c.action is Action.AWAITING for c in changes)
    assert all(c.is_drift and not c.is_pending for c in changes)
    assert {c.after["merge_request"] for c in changes} == {"https://gitlab.test/p/-/merge_requests/7"}


@pytest.mark.parametrize(
    "mr",
    [_mr("0" * 64), _mr(None), pytest.param("same", id="source branch gone")],
)
def test_a_merge_request_holding_something_else_leaves_the_changes_pending(mr):
    r = rendering()
    if mr == "same":
        mr = _mr(proposal_id(observe(r, {}).plan().changes), sha=None)

    changes = diff(observe(r, {}, mr=mr))

    assert changes and all(c.is_pending for c in changes)
    assert all(c.payload.target.merge_request == mr for c in changes)  # apply updates that one


def test_proposal_id_ignores_order_and_follows_content():
    r = rendering()
    decisions = observe(r, {}).plan().changes
    other = observe(rendering(description="other"), {}).plan().changes

    assert proposal_id(decisions) == proposal_id(tuple(reversed(decisions)))
    assert proposal_id(decisions) != proposal_id(other)


@pytest.mark.parametrize("enforce", [None, True], ids=["kept edits", "enforced"])
@pytest.mark.parametrize("existing", [{}, {"pyproject.toml": '[project]\nname = "x"\n'}])
def test_the_expected_lock_is_the_lock_the_plan_writes(existing, enforce):
    """What lets a run with nothing to do skip downloading the lock (observe_files)."""
    r = render("python-package", {}, project_path=PROJECT, enforce=enforce)
    files = applied(r, existing)
    hashes = {p: sha256_text(files[p]) if p in files else None for p in paths_to_observe(r)}

    assert _lock_as_expected(r, hashes).to_text() == files[LOCK_PATH]


def test_an_empty_repository_plans_every_file():
    r = rendering()
    changes = diff(observe(r, {}, empty=True))
    assert all(c.action is Action.CREATE for c in changes)
    assert {c.payload.target.empty for c in changes} == {True}


# -- an enforced pipeline and ci_config_path ---------------------------------------------------------------
def _ref(**attributes: Any) -> ProjectRef:
    return ProjectRef(1, PROJECT, "main", attributes=attributes)


def _enforcing(**settings: Any) -> ProjectSpec:
    return ProjectSpec(
        PROJECT, Project(blueprint="python-package", blueprint_enforce=True, settings=Settings(**settings))
    )


def test_ci_config_path_is_looked_at_only_while_the_pipeline_is_enforced():
    kept = rendering()
    enforced = render("python-package", {}, project_path=PROJECT, enforce=True)

    assert watched_ci_config_path(_ref(ci_config_path="elsewhere.yml"), SPEC, kept) is None
    assert (
        watched_ci_config_path(_ref(ci_config_path="elsewhere.yml"), _enforcing(), enforced)
        == "elsewhere.yml"
    )
    assert watched_ci_config_path(_ref(ci_config_path=None), _enforcing(), enforced) == ""
    with pytest.raises(Unobservable, match="cannot read ci_config_path"):
        watched_ci_config_path(_ref(), _enforcing(), enforced)
    # The inventory's settings own it: the settings facet keeps it, if it agrees with the pipeline.
    assert watched_ci_config_path(_ref(), _enforcing(ci_config_path=".gitlab-ci.yml"), enforced) is None
    with pytest.raises(ProvisionerError, match=r"settings\.ci_config_path is 'other\.yml'"):
        watched_ci_config_path(_ref(), _enforcing(ci_config_path="other.yml"), enforced)


@pytest.mark.parametrize(
    ("current", "drift"),
    [("", False), (".gitlab-ci.yml", False), ("ci/bypass.yml", True), (".gitlab-ci.yml@other/project", True)],
)
def test_a_ci_config_path_away_from_the_enforced_pipeline_is_drift(current, drift):
    r = render("python-package", {}, project_path=PROJECT, enforce=True)
    files = applied(r, {})
    observed = observe(r, files)
    observed = FilesObserved(r, "main", False, observed.heads, observed.lock, observed.texts, None, current)

    changes = diff(observed)

    if not drift:
        assert changes == []
        return
    (change,) = changes
    assert (change.target, change.action) == ("ci_config_path", Action.UPDATE)
    assert change.before == {"ci_config_path": current}
    assert change.after == {
        "ci_config_path": ".gitlab-ci.yml",
        "reason": "the enforced pipeline is .gitlab-ci.yml",
    }


def test_an_enforced_pipeline_edited_by_the_team_is_drift_with_a_diff():
    r = render("python-package", {}, project_path=PROJECT, enforce=True)
    files = applied(r, {})
    files[".gitlab-ci.yml"] = "test:\n  script: [echo all good]\n"

    (ci,) = diff(observe(r, files))

    assert (ci.target, ci.action) == ("file .gitlab-ci.yml", Action.UPDATE)
    assert ci.after == {"policy": "enforced", "reason": "enforced: differs from the rendering; restored"}
    assert ci.detail is not None and "-  script: [echo all good]" in ci.detail
