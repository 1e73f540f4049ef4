"""The files facet against the sandbox over HTTP, through the engine: commits, merge requests, team edits,
concurrent pushes, lost answers, the request budget.

The demo world (provisioner/sandbox/seed.py): `platform/libs/common-utils` has an old `.gitlab-ci.yml` and
the team's `pyproject.toml` (main protected: Maintainers push), so its onboarding is an adoption, through a
draft merge request; `platform/libs/http-client` has only a README; `platform/payments` cannot be pushed to
by anyone (push: no one); `data/ingest` is an empty repository; `dana` is a Developer in `platform`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import requests

from provisioner.blueprint import LOCK_PATH, TRAILER
from provisioner.engine.run import run
from provisioner.facets import FACETS
from provisioner.facets.base import Facet
from provisioner.facets.files import FilesObserved, ProjectFiles
from provisioner.gitlab import repository
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.schema import Project, Settings
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, RunResult
from provisioner.report import text
from provisioner.sandbox import SandboxServer
from provisioner.sandbox.seed import DANA_TOKEN, OLD_CI, TEAM_PYPROJECT
from tests.support import PYTHON_PACKAGE, Sandbox

UTILS = "platform/libs/common-utils"
HTTP = "platform/libs/http-client"
PAYMENTS = "platform/payments"
INGEST = "data/ingest"
MR_BRANCH = "provisioner/python-package"
COMMITS_ROUTE = "POST /api/v4/projects/:id/repository/commits"
BRANCH_ROUTE = "GET /api/v4/projects/:id/repository/branches/:branch"


def enc(value: str) -> str:
    return quote(value, safe="")


@dataclass
class Lab:
    server: SandboxServer

    def http(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        response = requests.request(
            method,
            f"{self.server.url}/api/v4{path}",
            headers={"PRIVATE-TOKEN": token or self.server.token},
            timeout=15,
            **kwargs,
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def admin(self, method: str, path: str, **body: Any) -> Any:
        response = requests.request(
            method,
            f"{self.server.url}/-/sandbox/{path}",
            headers={"PRIVATE-TOKEN": self.server.token},
            json=body,
            timeout=15,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def run(
        self,
        mode: str,
        *specs: ProjectSpec,
        token: str | None = None,
        facets: Sequence[Facet] = FACETS,
        prefetch: bool = True,
    ) -> RunResult:
        api = GitLabApi(self.server.url, token or self.server.token, max_retries=0)
        try:
            return run(api, list(specs), mode=mode, facets=facets, concurrency=2, prefetch=prefetch)
        finally:
            api.close()

    def file(self, project: str, path: str, ref: str = "main") -> str | None:
        response = requests.get(
            f"{self.server.url}/api/v4/projects/{enc(project)}/repository/files/{enc(path)}",
            params={"ref": ref},
            headers={"PRIVATE-TOKEN": self.server.token},
            timeout=15,
        )
        return base64.b64decode(response.json()["content"]).decode() if response.status_code == 200 else None

    def push(self, project: str, files: dict[str, str], branch: str = "main") -> str:
        """A team member's commit (the admin token, which may push to Maintainer-protected branches)."""
        actions = [
            {"action": "update" if self.file(project, p, branch) is not None else "create", "file_path": p}
            | {"content": c}
            for p, c in files.items()
        ]
        body = {"branch": branch, "commit_message": "Team edit", "actions": actions}
        return str(self.http("POST", f"/projects/{enc(project)}/repository/commits", json=body)["id"])

    def head(self, project: str, branch: str = "main") -> dict[str, Any]:
        commit: dict[str, Any] = self.http(
            "GET", f"/projects/{enc(project)}/repository/branches/{enc(branch)}"
        )["commit"]
        return commit

    def open_mrs(self, project: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.http(
            "GET", f"/projects/{enc(project)}/merge_requests", params={"state": "opened"}
        )
        return found

    def counters(self) -> dict[str, Any]:
        return dict(self.admin("GET", "requests"))

    def reset_counters(self) -> None:
        self.admin("POST", "requests/reset")

    def merge(self, project: str) -> dict[str, Any]:
        """A maintainer reviews the tool's one open merge request, marks it ready if it is a draft (GitLab
        merges no draft: 405), and merges it."""
        (mr,) = self.open_mrs(project)
        where = f"/projects/{enc(project)}/merge_requests/{mr['iid']}"
        if mr["draft"]:
            self.http("PUT", where, json={"title": mr["title"].removeprefix("Draft: ")})
        merged: dict[str, Any] = self.http("PUT", f"{where}/merge")
        return merged

    def onboard(self, wanted: ProjectSpec) -> None:
        """Apply, and merge what was proposed (common-utils' own pipeline is adopted through a draft)."""
        assert problems(self.run("apply", wanted)) == []
        if self.open_mrs(wanted.path):
            self.merge(wanted.path)
        assert self.run("plan", wanted).projects[0].pending == ()


@pytest.fixture
def lab(sandbox: Sandbox) -> Lab:
    """The demo world, fresh (tests/conftest.py)."""
    return Lab(sandbox.server)


def spec(path: str, **blueprint_vars: Any) -> ProjectSpec:
    return ProjectSpec(path, Project(blueprint="python-package", blueprint_vars=blueprint_vars))


def files_of(result: RunResult, attribute: str = "planned") -> dict[str, Action]:
    (project,) = result.projects
    return {c.target: c.action for c in getattr(project, attribute) if c.facet == "files"}


def problems(result: RunResult) -> list[str]:
    return [p.message for project in result.projects for p in project.problems]


# -- one commit, then nothing ------------------------------------------------------------------------
def test_apply_commits_every_file_in_one_commit_and_a_second_apply_writes_nothing(lab):
    before = lab.head(HTTP)["id"]
    lab.reset_counters()

    first = lab.run("apply", spec(HTTP))

    assert problems(first) == [] and first.projects[0].remaining == ()
    assert files_of(first, "applied") == {
        "file .gitlab-ci.yml": Action.CREATE,
        "file ci/constraints.txt": Action.CREATE,
        "file ci/release.py": Action.CREATE,
        "file pyproject.toml": Action.CREATE,
        "file src/http_client/__init__.py": Action.CREATE,
        "file tests/test_smoke.py": Action.CREATE,
        "file .gitignore": Action.CREATE,
        f"file {LOCK_PATH}": Action.CREATE,
    }
    by_route = lab.counters()["by_route"]
    assert by_route[COMMITS_ROUTE] == 1
    # Committed straight away: the default branch is not read first to learn `can_push`.
    assert by_route.get(BRANCH_ROUTE, 0) == 0
    # Planned on the files read in bulk (all created: a stale view makes GitLab refuse the commit), and
    # verified from the commit's answer: not one file looked at over REST.
    assert by_route.get("HEAD /api/v4/projects/:id/repository/files/:file_path", 0) == 0
    head = lab.head(HTTP)
    assert head["parent_ids"] == [before]  # one commit on top of the team's
    assert f"{TRAILER}: {PYTHON_PACKAGE}" in head["message"]
    assert "Managed by provisioner" in (lab.file(HTTP, ".gitlab-ci.yml") or "")
    assert lab.open_mrs(HTTP) == []

    lab.reset_counters()
    second = lab.run("apply", spec(HTTP))

    assert second.projects[0].planned == () and problems(second) == []
    assert lab.counters()["writes"] == 0
    assert lab.run("plan", spec(HTTP)).projects[0].planned == ()


# -- adoption: a team's own pipeline is never replaced directly -----------------------------------------
def test_onboarding_a_project_with_its_own_pipeline_proposes_it_in_a_draft_merge_request(lab):
    before = lab.head(UTILS)["id"]

    first = lab.run("apply", spec(UTILS))

    assert problems(first) == [] and first.projects[0].remaining == ()
    assert lab.head(UTILS)["id"] == before  # the team's pipeline is untouched on main
    assert lab.file(UTILS, ".gitlab-ci.yml") == OLD_CI
    (mr,) = lab.open_mrs(UTILS)
    assert mr["draft"] and mr["title"] == f"Draft: Adopt blueprint {PYTHON_PACKAGE} (replaces .gitlab-ci.yml)"
    assert (mr["source_branch"], mr["target_branch"]) == (MR_BRANCH, "main")
    said = mr["description"]
    assert "- adopt `.gitlab-ci.yml`: the project's own file, not rendered by the tool before" in said
    assert "jobs replaced by the blueprint's: `test`" in said and "jobs that come: `build`" in said
    assert "-  image: python:3.10" in said  # the diff of what replaces the team's file
    assert "Nothing changes on `main` until this draft is marked ready and merged" in said
    assert "Managed by provisioner" in (lab.file(UTILS, ".gitlab-ci.yml", ref=MR_BRANCH) or "")

    # Until a person merges it: drift for check ("awaiting adoption"), nothing for apply to write again.
    check = lab.run("check", spec(UTILS))
    assert set(files_of(check).values()) == {Action.AWAITING}
    assert check.drift and not check.pending and not check.failed
    reasons = {str((c.after or {}).get("reason")) for c in check.projects[0].planned}
    assert any(r.startswith("awaiting adoption: the project's own file") for r in reasons)
    assert "the fix waits in merge request" in text.render(check)
    lab.reset_counters()
    again = lab.run("apply", spec(UTILS))
    assert lab.counters()["writes"] == 0 and again.projects[0].applied == () and not again.failed

    lab.merge(UTILS)

    assert "Managed by provisioner" in (lab.file(UTILS, ".gitlab-ci.yml") or "")
    assert lab.run("check", spec(UTILS)).projects[0].planned == ()
    lab.reset_counters()
    assert lab.run("apply", spec(UTILS)).projects[0].planned == () and lab.counters()["writes"] == 0


@pytest.mark.parametrize("prefetch", [True, False], ids=["bulk", "rest"])
def test_a_run_with_nothing_to_do_sends_only_the_hashes(lab, prefetch):
    """In bulk, GraphQL's blobs carry every file's text (its sha256 is computed from it); one by one, a
    `HEAD` per file answers `X-Gitlab-Content-Sha256` (REFERENCE 2.10). Nothing is downloaded twice."""
    lab.onboard(spec(UTILS))
    lab.reset_counters()

    # The files facet alone: the blueprint's needs (protected tags and environments) are other facets'.
    lab.run("plan", spec(UTILS), prefetch=prefetch, facets=[ProjectFiles()])

    paths = 9  # eight rendered files and the lock
    reads = (
        {"POST /api/graphql": 1, "GET /api/v4/version": 1}  # the query as this version has it
        if prefetch
        else {"HEAD /api/v4/projects/:id/repository/files/:file_path": paths}
    )
    assert lab.counters()["by_route"] == {"GET /api/v4/projects/:id": 1, **reads}


def test_an_empty_repository_gets_an_initial_commit(lab):
    result = lab.run("apply", spec(INGEST))

    assert problems(result) == []
    assert len(files_of(result, "applied")) == 9  # seeds included: the project is new
    project = lab.http("GET", f"/projects/{enc(INGEST)}")
    assert project["default_branch"] == "main" and not project["empty_repo"]
    assert lab.head(INGEST)["parent_ids"] == []
    assert lab.file(INGEST, "src/ingest/__init__.py") is not None
    assert lab.run("plan", spec(INGEST)).projects[0].planned == ()


def test_an_empty_repository_gets_the_default_branch_the_inventory_names(lab):
    wanted = ProjectSpec(
        INGEST, Project(blueprint="python-package", settings=Settings(default_branch="trunk"))
    )
    result = lab.run("apply", wanted, facets=[ProjectFiles()])

    assert problems(result) == []
    assert lab.http("GET", f"/projects/{enc(INGEST)}")["default_branch"] == "trunk"
    assert lab.file(INGEST, ".gitlab-ci.yml", ref="trunk") is not None


# A Developer's token: the files facet alone (protecting the blueprint's tags and environments needs a
# Maintainer, and says so: test_permissions_sandbox.py).
FILES_ONLY = [ProjectFiles()]


# -- protected branches: one merge request, updated in place -------------------------------------------
def test_a_branch_nobody_may_push_to_gets_one_merge_request_updated_in_place(lab):
    main_before = lab.head(PAYMENTS)["id"]

    first = lab.run("apply", spec(PAYMENTS))

    assert problems(first) == [] and first.projects[0].remaining == ()
    assert lab.head(PAYMENTS)["id"] == main_before  # never pushed to, never unprotected
    assert (
        lab.http("GET", f"/projects/{enc(PAYMENTS)}/protected_branches/main")["push_access_levels"][0][
            "access_level"
        ]
        == 0
    )
    (mr,) = lab.open_mrs(PAYMENTS)
    assert (mr["source_branch"], mr["target_branch"]) == (MR_BRANCH, "main")
    assert mr["title"] == f"Apply blueprint {PYTHON_PACKAGE}"
    assert "pyproject.toml" in mr["description"]
    assert lab.file(PAYMENTS, ".gitlab-ci.yml", ref=MR_BRANCH) is not None

    # What the merge request holds is awaiting a person: drift for check, nothing for apply.
    check = lab.run("check", spec(PAYMENTS))
    assert set(files_of(check).values()) == {Action.AWAITING}
    assert check.drift and not check.pending and not check.failed
    lab.reset_counters()
    again = lab.run("apply", spec(PAYMENTS))
    assert lab.counters()["writes"] == 0 and not again.failed and again.projects[0].applied == ()

    # A changed variable: the same merge request, re-pointed at the new commit.
    changed = lab.run("apply", spec(PAYMENTS, python_versions=["3.12", "3.13"]))

    assert problems(changed) == [] and changed.projects[0].remaining == ()
    (same,) = lab.open_mrs(PAYMENTS)
    assert same["iid"] == mr["iid"] and same["sha"] != mr["sha"]
    assert 'requires-python = ">=3.12"' in (lab.file(PAYMENTS, "pyproject.toml", ref=MR_BRANCH) or "")
    assert lab.head(PAYMENTS, MR_BRANCH)["parent_ids"] == [main_before]  # one commit on main, not stacked

    lab.http("PUT", f"/projects/{enc(PAYMENTS)}/merge_requests/{mr['iid']}/merge")

    after = lab.run("check", spec(PAYMENTS, python_versions=["3.12", "3.13"]))
    assert after.projects[0].planned == () and not after.drift
    assert lab.open_mrs(PAYMENTS) == []


def test_a_developer_token_proposes_instead_of_pushing_to_a_protected_branch(lab):
    """common-utils' main: Maintainers push. GitLab says can_push: false for dana: a merge request."""
    before = lab.head(UTILS)["id"]

    result = lab.run("apply", spec(UTILS), token=DANA_TOKEN, facets=FILES_ONLY)

    assert problems(result) == []
    assert lab.head(UTILS)["id"] == before
    (mr,) = lab.open_mrs(UTILS)
    assert mr["author"]["username"] == "dana"
    assert set(files_of(lab.run("plan", spec(UTILS), token=DANA_TOKEN, facets=FILES_ONLY)).values()) == {
        Action.AWAITING
    }


def test_a_commit_refused_on_a_branch_the_token_may_not_push_to_is_proposed_instead(lab):
    """http-client's main protected for Maintainers, dana a Developer: the commit is tried on main straight
    away (its `can_push` is not read first), GitLab refuses it before writing anything (403), and the same
    changes go to the proposal branch behind one merge request [G:lib/api/commits.rb
    authorize_push_to_branch!]."""
    rule = lab.http("GET", f"/projects/{enc(HTTP)}/protected_branches/main")
    assert [a["access_level"] for a in rule["push_access_levels"]] == [40]
    before = lab.head(HTTP)["id"]
    lab.reset_counters()

    result = lab.run("apply", spec(HTTP), token=DANA_TOKEN, facets=FILES_ONLY)

    assert problems(result) == [] and result.projects[0].remaining == ()
    assert set(files_of(result, "applied").values()) == {Action.CREATE}
    by_route = lab.counters()["by_route"]
    assert lab.head(HTTP)["id"] == before  # nothing written to main
    assert by_route[COMMITS_ROUTE] == 2  # refused on main, then made on the proposal branch
    assert by_route.get(BRANCH_ROUTE, 0) == 1  # the proposal branch's head (rebuilt only over our own)
    (mr,) = lab.open_mrs(HTTP)
    assert (mr["source_branch"], mr["target_branch"], mr["author"]["username"]) == (MR_BRANCH, "main", "dana")
    assert "Managed by provisioner" in (lab.file(HTTP, ".gitlab-ci.yml", ref=MR_BRANCH) or "")
    plan = lab.run("plan", spec(HTTP), token=DANA_TOKEN, facets=FILES_ONLY)
    assert set(files_of(plan).values()) == {Action.AWAITING}
    assert f"files: 8 changes wait in merge request {mr['web_url']}" in text.render(plan)


def test_check_exits_2_while_the_merge_request_waits_and_0_once_merged(lab, tmp_path):
    from typer.testing import CliRunner

    from provisioner.cli import app

    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(f"version: 1\nprojects:\n  {PAYMENTS}:\n    blueprint: python-package\n")
    env = {
        "PROVISIONER_GITLAB_URL": lab.server.url,
        "PROVISIONER_TOKEN": lab.server.token,
        "PROVISIONER_LOG_FILE": str(tmp_path / "log"),
    }
    check = ["check", "--inventory", str(inventory)]

    assert CliRunner().invoke(app, ["apply", "--yes", "--inventory", str(inventory)], env=env).exit_code == 0
    waiting = CliRunner().invoke(app, check, env=env)
    assert waiting.exit_code == 2, waiting.output
    assert "…" in waiting.output and "merge_requests/" in waiting.output
    (mr,) = lab.open_mrs(PAYMENTS)
    lab.http("PUT", f"/projects/{enc(PAYMENTS)}/merge_requests/{mr['iid']}/merge")
    clean = CliRunner().invoke(app, check, env=env)
    assert clean.exit_code == 0, clean.output


def test_a_second_merge_request_is_never_opened(lab):
    """REFERENCE 2.13: 409 names the open one (`!iid`); it is updated instead."""
    project_id = lab.http("GET", f"/projects/{enc(PAYMENTS)}")["id"]
    lab.http("POST", f"/projects/{project_id}/repository/branches", json={"branch": MR_BRANCH, "ref": "main"})
    api = GitLabApi(lab.server.url, lab.server.token)
    first = repository.propose(
        api, project_id, source=MR_BRANCH, target="main", title="one", description="d", existing=None
    )

    second = repository.propose(
        api, project_id, source=MR_BRANCH, target="main", title="two", description="e", existing=None
    )

    assert second.iid == first.iid
    (mr,) = lab.open_mrs(PAYMENTS)
    assert (mr["title"], mr["description"]) == ("two", "e")


def test_once_the_branch_may_be_pushed_to_the_commit_goes_there_and_the_proposal_is_closed(lab):
    lab.run("apply", spec(PAYMENTS))
    (mr,) = lab.open_mrs(PAYMENTS)
    lab.http("DELETE", f"/projects/{enc(PAYMENTS)}/protected_branches/main")  # a person relaxes it

    result = lab.run("apply", spec(PAYMENTS, description="Payments"))

    assert problems(result) == []
    assert lab.file(PAYMENTS, ".gitlab-ci.yml") is not None
    assert lab.open_mrs(PAYMENTS) == []
    assert lab.http("GET", f"/projects/{enc(PAYMENTS)}/merge_requests/{mr['iid']}")["state"] == "closed"


# -- the team's edits -----------------------------------------------------------------------------------
TEAM_EDITED_PYPROJECT_PARTS = (
    '"requests>=2",  # HTTP helpers\n    "attrs>=23",  # added by the team',
    "# The team's note on packaging",
    "line-length = 110",
)


def _team_edits_pyproject(lab: Lab) -> str:
    current = lab.file(UTILS, "pyproject.toml") or ""
    edited = (
        current.replace('"requests>=2",  # HTTP helpers', TEAM_EDITED_PYPROJECT_PARTS[0])
        .replace("line-length = 100", "line-length = 110")
        .replace("[tool.black]", "# The team's note on packaging\n[tool.black]")
    )
    assert edited != current
    lab.push(UTILS, {"pyproject.toml": edited})
    return edited


def test_a_team_edit_to_its_part_of_pyproject_survives_a_reapply(lab):
    lab.onboard(spec(UTILS))
    edited = _team_edits_pyproject(lab)
    lab.reset_counters()

    again = lab.run("apply", spec(UTILS))

    assert problems(again) == [] and lab.counters()["writes"] == 0
    assert lab.file(UTILS, "pyproject.toml") == edited


def test_a_team_edit_to_pyproject_survives_a_blueprint_change_to_the_tool_s_keys(lab):
    lab.onboard(spec(UTILS))
    _team_edits_pyproject(lab)

    result = lab.run("apply", spec(UTILS, build_backend="setuptools"))

    assert problems(result) == []
    assert "file pyproject.toml" in files_of(result, "applied")
    now = lab.file(UTILS, "pyproject.toml") or ""
    assert "setuptools" in now  # the tool's keys follow the blueprint
    assert all(part in now for part in TEAM_EDITED_PYPROJECT_PARTS)
    assert TEAM_PYPROJECT.splitlines()[0] in now  # the team's header comment, from the start


def test_a_team_edit_to_a_managed_file_merges_with_a_blueprint_change(lab):
    lab.onboard(spec(UTILS))
    team_job = "\nlint:\n  stage: test\n  script: [ruff check]\n"
    lab.push(UTILS, {".gitlab-ci.yml": (lab.file(UTILS, ".gitlab-ci.yml") or "") + team_job})

    result = lab.run("apply", spec(UTILS, runner_tags=["docker"]))

    assert problems(result) == []
    ci = lab.file(UTILS, ".gitlab-ci.yml") or ""
    assert ci.endswith(team_job) and 'tags: ["docker"]' in ci
    assert lab.run("plan", spec(UTILS, runner_tags=["docker"])).projects[0].pending == ()


def test_a_conflicting_team_edit_goes_to_a_merge_request_and_the_project_fails(lab):
    lab.onboard(spec(UTILS))
    ci = lab.file(UTILS, ".gitlab-ci.yml") or ""
    team = ci.replace('"3.11", ', '"3.10", "3.11", ')
    assert team != ci
    lab.push(UTILS, {".gitlab-ci.yml": team})
    newer = spec(UTILS, python_versions=["3.12", "3.13"])

    result = lab.run("apply", newer)

    (problem,) = result.projects[0].problems
    assert result.failed and problem.facet == "files"
    assert ".gitlab-ci.yml" in problem.message and "merge request !2" in problem.message  # !1: the adoption
    assert lab.file(UTILS, ".gitlab-ci.yml") == team  # the team's file is untouched on main
    proposed = lab.file(UTILS, ".gitlab-ci.yml", ref=MR_BRANCH) or ""
    assert "<<<<<<< blueprint .gitlab-ci.yml" in proposed and ">>>>>>> current .gitlab-ci.yml" in proposed
    (mr,) = lab.open_mrs(UTILS)
    assert mr["title"].startswith("Draft: ") and "conflict markers" in mr["description"]

    # The next run finds its proposal waiting, opens no second one, and still fails: a person must act.
    lab.reset_counters()
    later = lab.run("apply", newer)
    assert lab.counters()["writes"] == 0 and later.failed
    (still,) = later.projects[0].problems
    assert still.facet == "files" and "what a person must fix" in still.message and "!2" in still.message
    assert len(lab.open_mrs(UTILS)) == 1


def test_a_clean_merge_that_breaks_the_pipeline_goes_to_a_draft_with_the_reason(lab):
    """The team set runner tags at the top of `default:`; the blueprint adds its own below `image:`. The
    lines are apart, so the text merges cleanly, into a `default:` with `tags` twice."""
    lab.onboard(spec(UTILS))
    ci = lab.file(UTILS, ".gitlab-ci.yml") or ""
    team = ci.replace("\ndefault:\n", "\ndefault:\n  tags: [shell]\n", 1)
    assert team != ci
    lab.push(UTILS, {".gitlab-ci.yml": team})
    tagged = spec(UTILS, runner_tags=["docker"])

    result = lab.run("apply", tagged)

    (problem,) = result.projects[0].problems
    assert problem.facet == "files" and "draft merge request !2" in problem.message
    assert lab.file(UTILS, ".gitlab-ci.yml") == team  # nothing broken reached main
    (mr,) = lab.open_mrs(UTILS)
    assert mr["title"] == f"Draft: Apply blueprint {PYTHON_PACKAGE} (a merged file to fix)"
    assert 'found duplicate key "tags"' in mr["description"] and "failed their checks" in mr["description"]
    lab.reset_counters()
    again = lab.run("apply", tagged)
    assert again.failed and lab.counters()["writes"] == 0 and len(lab.open_mrs(UTILS)) == 1


def test_conflict_markers_merged_into_main_are_an_error_not_a_team_edit(lab):
    lab.onboard(spec(UTILS))
    ci = lab.file(UTILS, ".gitlab-ci.yml") or ""
    lab.push(UTILS, {".gitlab-ci.yml": ci.replace('"3.11", ', '"3.10", "3.11", ')})
    newer = spec(UTILS, python_versions=["3.12", "3.13"])
    assert lab.run("apply", newer).failed
    lab.merge(UTILS)  # marked ready and merged without resolving anything
    assert "<<<<<<< blueprint" in (lab.file(UTILS, ".gitlab-ci.yml") or "")

    later = lab.run("check", newer)

    (problem,) = later.projects[0].problems
    assert problem.facet == "files"
    assert "conflict marker at line" in problem.message and "on the default branch" in problem.message
    assert not [c for c in later.projects[0].planned if c.action is Action.UNMANAGED]


def test_rebuilding_the_proposal_keeps_commits_the_team_pushed_to_its_branch(lab):
    lab.run("apply", spec(PAYMENTS))
    (mr,) = lab.open_mrs(PAYMENTS)
    ci = lab.file(PAYMENTS, ".gitlab-ci.yml", ref=MR_BRANCH) or ""
    team = lab.push(PAYMENTS, {".gitlab-ci.yml": ci + "\nlint:\n  script: [ruff check]\n"}, branch=MR_BRANCH)

    # The same proposal: still awaiting, nothing written.
    lab.reset_counters()
    assert not lab.run("apply", spec(PAYMENTS)).failed and lab.counters()["writes"] == 0

    # A newer proposal would rebuild the branch from main: refused, and said.
    changed = lab.run("apply", spec(PAYMENTS, python_versions=["3.12", "3.13"]))

    (problem,) = changed.projects[0].problems
    assert problem.facet == "files" and f"{MR_BRANCH} has commits that are not the tool's" in problem.message
    assert f"{team[:11]} 'Team edit'" in problem.message and f"!{mr['iid']}" in problem.message
    assert lab.head(PAYMENTS, MR_BRANCH)["id"] == team
    (same,) = lab.open_mrs(PAYMENTS)
    assert same["description"] == mr["description"]


# -- enforced files ----------------------------------------------------------------------------------------
def enforced(path: str, **blueprint_vars: Any) -> ProjectSpec:
    return ProjectSpec(
        path, Project(blueprint="python-package", blueprint_vars=blueprint_vars, blueprint_enforce=True)
    )


def test_a_replaced_enforced_pipeline_fails_check_and_apply_restores_it(lab, tmp_path):
    from typer.testing import CliRunner

    from provisioner.cli import app

    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"version: 1\nprojects:\n  {HTTP}:\n    blueprint: python-package\n    blueprint_enforce: true\n"
    )
    env = {
        "PROVISIONER_GITLAB_URL": lab.server.url,
        "PROVISIONER_TOKEN": lab.server.token,
        "PROVISIONER_LOG_FILE": str(tmp_path / "log"),
    }
    assert CliRunner().invoke(app, ["apply", "--yes", "--inventory", str(inventory)], env=env).exit_code == 0
    rendered = lab.file(HTTP, ".gitlab-ci.yml")
    lab.http(
        "PUT",
        f"/projects/{enc(HTTP)}/repository/files/{enc('.gitlab-ci.yml')}",
        json={"branch": "main", "content": "test:\n  script: [echo all good]\n", "commit_message": "simpler"},
    )
    junit = tmp_path / "check.xml"

    check = CliRunner().invoke(app, ["check", "--junit", str(junit), "--inventory", str(inventory)], env=env)

    assert check.exit_code == 2, check.output
    assert "~ files: file .gitlab-ci.yml" in check.output and "-  script: [echo all good]" in check.output
    assert "reason: 'enforced: differs from the rendering; restored'" in check.output
    assert "edits are kept" not in check.output
    assert '<failure message="1 difference" type="drift">' in junit.read_text()

    restored = CliRunner().invoke(app, ["apply", "--yes", "--inventory", str(inventory)], env=env)

    assert restored.exit_code == 0, restored.output
    assert lab.file(HTTP, ".gitlab-ci.yml") == rendered
    lab.reset_counters()
    assert CliRunner().invoke(app, ["apply", "--yes", "--inventory", str(inventory)], env=env).exit_code == 0
    assert lab.counters()["writes"] == 0
    assert CliRunner().invoke(app, ["check", "--inventory", str(inventory)], env=env).exit_code == 0


def test_a_ci_config_path_away_from_the_enforced_pipeline_is_drift_and_set_back(lab):
    lab.onboard(enforced(HTTP))
    lab.http("PUT", f"/projects/{enc(HTTP)}", json={"ci_config_path": "bypass.yml"})
    assert lab.run("check", spec(HTTP)).projects[0].planned == ()  # not enforced: not the tool's business

    check = lab.run("check", enforced(HTTP))

    (change,) = check.projects[0].planned
    assert (change.target, change.action) == ("ci_config_path", Action.UPDATE)
    assert change.before == {"ci_config_path": "bypass.yml"}
    applied = lab.run("apply", enforced(HTTP))
    assert problems(applied) == [] and applied.projects[0].remaining == ()
    assert lab.http("GET", f"/projects/{enc(HTTP)}")["ci_config_path"] == ".gitlab-ci.yml"
    lab.reset_counters()
    assert lab.run("apply", enforced(HTTP)).projects[0].planned == () and lab.counters()["writes"] == 0


def test_an_enforced_pipeline_on_a_branch_the_token_may_not_push_to_is_restored_by_merge_request(lab):
    lab.onboard(enforced(UTILS))
    lab.push(UTILS, {".gitlab-ci.yml": "test:\n  script: [echo all good]\n"})
    before = lab.head(UTILS)["id"]

    result = lab.run("apply", enforced(UTILS), token=DANA_TOKEN, facets=FILES_ONLY)

    assert problems(result) == []
    assert lab.head(UTILS)["id"] == before  # dana may not push to main: proposed instead
    (mr,) = lab.open_mrs(UTILS)
    assert not mr["draft"] and "enforced: differs from the rendering; restored" in mr["description"]
    assert "Managed by provisioner" in (lab.file(UTILS, ".gitlab-ci.yml", ref=MR_BRANCH) or "")
    assert set(files_of(lab.run("check", enforced(UTILS), token=DANA_TOKEN, facets=FILES_ONLY)).values()) == {
        Action.AWAITING
    }


# -- a push between plan and apply ----------------------------------------------------------------------
class PushAfterObserving(ProjectFiles):
    """Observes, then lets a team member push before apply writes (once)."""

    def __init__(self, push: Callable[[], None]) -> None:
        self._push: Callable[[], None] | None = push

    def observe(self, api: GitLabApi, project: Any, spec: ProjectSpec) -> FilesObserved:
        observed = super().observe(api, project, spec)
        if self._push is not None:
            self._push()
            self._push = None
        return observed


@pytest.mark.parametrize("prefetch", [True, False], ids=["bulk", "rest"])
def test_a_push_between_plan_and_apply_fails_the_commit_and_the_project_is_planned_again(lab, prefetch):
    lab.onboard(spec(UTILS))
    team_ci = (lab.file(UTILS, ".gitlab-ci.yml") or "") + "\n# pushed while the tool was planning\n"
    newer = spec(UTILS, runner_tags=["docker"])
    pushed: list[str] = []
    lab.reset_counters()

    racing = lab.run(
        "apply",
        newer,
        facets=[PushAfterObserving(lambda: pushed.append(lab.push(UTILS, {".gitlab-ci.yml": team_ci})))],
        prefetch=prefetch,
    )

    # rest: the team's push, the tool's first commit (refused by GitLab on `last_commit_id`: it would have
    # overwritten the team's), and the tool's second, planned against the team's commit, which merges into
    # it. bulk: hashes read in bulk carry no `last_commit_id`, so apply looks at the file first, finds the
    # team's push and sends nothing; only the second commit is sent.
    commits = 3 if not prefetch else 2
    assert lab.counters()["by_route"]["POST /api/v4/projects/:id/repository/commits"] == commits
    assert problems(racing) == []
    ci = lab.file(UTILS, ".gitlab-ci.yml") or ""
    assert ci.endswith("# pushed while the tool was planning\n") and 'tags: ["docker"]' in ci
    assert lab.head(UTILS)["parent_ids"] == [pushed[0]]
    assert problems(lab.run("apply", newer)) == []


def test_apply_of_a_shown_plan_refuses_when_the_branch_moved_since(lab):
    """The engine's guard for saved plans: what was shown is what is applied, or nothing."""
    lab.onboard(spec(UTILS))
    newer = spec(UTILS, runner_tags=["docker"])
    shown = lab.run("plan", newer)
    pushed = lab.push(UTILS, {".gitlab-ci.yml": (lab.file(UTILS, ".gitlab-ci.yml") or "") + "# edit\n"})
    api = GitLabApi(lab.server.url, lab.server.token)

    result = run(
        api, [newer], mode="apply", expected={UTILS: [c.public() for c in shown.projects[0].pending]}
    )

    assert [p.kind for p in result.projects[0].problems] == ["stale_plan"]
    assert lab.head(UTILS)["id"] == pushed


# -- lost answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["drop_after", "drop_before"])
def test_a_lost_answer_to_the_commit_is_looked_into_before_trying_again(lab, kind):
    """drop_after: the commit landed, its answer was lost: not committed twice. drop_before: it did not
    land: committed once by the second attempt."""
    before = lab.head(HTTP)["id"]
    lab.admin("POST", "faults", script=[{"route": COMMITS_ROUTE, "kind": kind}])

    result = lab.run("apply", spec(HTTP))

    assert problems(result) == []
    assert lab.head(HTTP)["parent_ids"] == [before]
    assert lab.run("plan", spec(HTTP)).projects[0].planned == ()


# -- plan output ----------------------------------------------------------------------------------------
def test_plan_shows_unified_diffs(lab):
    shown = text.render(lab.run("plan", spec(UTILS)))

    assert "~ files: file .gitlab-ci.yml" in shown
    assert "adoption: proposed in a draft merge request; replaced once a person merges it" in shown
    assert "--- a/.gitlab-ci.yml" in shown and "+++ b/.gitlab-ci.yml" in shown
    assert "-  image: python:3.10" in shown  # the old hand-written job going
    assert "+ files: file .gitignore" in shown and "(new content: " in shown  # a new file: its size
    assert "+ files: file .provisioner-lock.yaml" in shown


# -- hashes read in bulk --------------------------------------------------------------------------------
def _prefetched(lab: Lab, path: str, spec_: ProjectSpec) -> tuple[GitLabApi, int]:
    """An API client whose cache holds the project's file hashes as a bulk reader leaves them: hashes
    without last commit ids."""
    from provisioner.blueprint import paths_to_observe, render

    api = GitLabApi(lab.server.url, lab.server.token)
    project_id = int(lab.http("GET", f"/projects/{enc(path)}")["id"])
    paths = paths_to_observe(render("python-package", spec_.config.blueprint_vars, project_path=path))
    heads = repository.file_heads(api, project_id, "main", paths, default_branch=False)
    bulk = {p: repository.FileHead(h.sha256) if h else None for p, h in heads.items()}
    api.cache.put(project_id, repository.FILE_HASHES, bulk)
    return api, project_id


def test_drift_in_bulk_read_hashes_is_written_on_them_and_verified_from_the_commit(lab):
    lab.onboard(spec(UTILS))
    newer = spec(UTILS, runner_tags=["docker"])
    api, _ = _prefetched(lab, UTILS, newer)
    lab.reset_counters()

    result = run(api, [newer], mode="apply")

    assert problems(result) == []
    updated = [c.target for c in result.projects[0].applied if c.facet == "files"]
    assert "file .gitlab-ci.yml" in updated and all(t.startswith("file ") for t in updated)
    by_route = lab.counters()["by_route"]
    # The files facet plans on the bulk hashes (a stale one makes GitLab refuse the commit): only the
    # files it updates are looked at, for the last commit id the commit guards them with; verification
    # takes the commit's answer (the branch holds what was committed) instead of 9 more HEADs.
    assert by_route["HEAD /api/v4/projects/:id/repository/files/:file_path"] == len(updated)
    assert 'tags: ["docker"]' in (lab.file(UTILS, ".gitlab-ci.yml") or "")
    assert lab.run("plan", newer).projects[0].planned == ()


def test_bulk_read_hashes_that_went_stale_commit_nothing(lab):
    lab.onboard(spec(UTILS))
    newer = spec(UTILS, runner_tags=["docker"])
    api, _ = _prefetched(lab, UTILS, newer)
    team_ci = (lab.file(UTILS, ".gitlab-ci.yml") or "") + "# edited after the bulk read\n"
    pushed = lab.push(UTILS, {".gitlab-ci.yml": team_ci})

    result = run(api, [newer], mode="apply")

    # Nothing was committed on the stale hashes; planned again, the project merged the team's edit.
    assert problems(result) == []
    assert lab.head(UTILS)["parent_ids"] == [pushed]
    assert (lab.file(UTILS, ".gitlab-ci.yml") or "").endswith("# edited after the bulk read\n")


def test_a_file_created_after_the_bulk_read_refuses_the_whole_commit_and_the_run_plans_again(lab):
    api, project_id = _prefetched(lab, HTTP, spec(HTTP))
    assert api.cache.get(project_id, repository.FILE_HASHES)["tests/test_smoke.py"] is None
    team_smoke = "def test_the_teams_own():\n    pass\n"
    pushed = lab.push(HTTP, {"tests/test_smoke.py": team_smoke})  # after the bulk read, before the commit
    lab.reset_counters()

    result = run(api, [spec(HTTP)], mode="apply")

    # The commit planned on the stale view (create tests/test_smoke.py) was refused whole; planned again
    # over REST, the seed is the team's and the rest lands in one commit on top of the team's push.
    assert problems(result) == [] and result.projects[0].remaining == ()
    assert lab.counters()["by_route"][COMMITS_ROUTE] == 2
    assert lab.head(HTTP)["parent_ids"] == [pushed]
    assert lab.file(HTTP, "tests/test_smoke.py") == team_smoke
    assert "file tests/test_smoke.py" not in files_of(result, "applied")
    assert lab.file(HTTP, ".gitlab-ci.yml") is not None
    lab.reset_counters()
    assert lab.run("apply", spec(HTTP)).projects[0].planned == () and lab.counters()["writes"] == 0
    assert lab.run("plan", spec(HTTP)).projects[0].planned == ()


# -- the facet's merge request, read in bulk ----------------------------------------------------------
class ActsBeforeObserving(ProjectFiles):
    """Lets someone act after the bulk read and before the facet observes (once): a bulk view gone stale."""

    def __init__(self, act: Callable[[], None]) -> None:
        self._act: Callable[[], None] | None = act

    def observe(self, api: GitLabApi, project: Any, spec: ProjectSpec) -> FilesObserved:
        if self._act is not None:
            self._act()
            self._act = None
        return super().observe(api, project, spec)


MRS_ROUTE = "GET /api/v4/projects/:id/merge_requests"


def test_the_open_merge_request_is_read_in_bulk_by_a_run_that_writes(lab):
    """apply reads the facet's merge request with the bulk read (GraphQL `Project.mergeRequests`); check,
    which writes nothing, does not ask for it there (a converged project never looks): REST on drift."""
    first = lab.run("apply", spec(PAYMENTS))
    assert problems(first) == []
    lab.reset_counters()

    again = lab.run("apply", spec(PAYMENTS))

    assert set(files_of(again).values()) == {Action.AWAITING} and again.projects[0].applied == ()
    assert lab.counters()["by_route"].get(MRS_ROUTE, 0) == 0
    lab.reset_counters()
    assert set(files_of(lab.run("apply", spec(PAYMENTS), prefetch=False)).values()) == {Action.AWAITING}
    assert lab.counters()["by_route"][MRS_ROUTE] == 1  # no bulk read: REST, as before
    lab.reset_counters()
    assert set(files_of(lab.run("check", spec(PAYMENTS))).values()) == {Action.AWAITING}
    assert lab.counters()["by_route"][MRS_ROUTE] == 1


def test_a_proposal_opened_after_the_bulk_read_is_updated_not_doubled(lab):
    """The bulk read saw no open merge request; one is opened from the proposal branch before apply
    writes. GitLab refuses a second one (409 naming it): that one is updated with the new proposal."""
    assert problems(lab.run("apply", spec(PAYMENTS))) == []
    (mr,) = lab.open_mrs(PAYMENTS)
    where = f"/projects/{enc(PAYMENTS)}/merge_requests"
    lab.http("PUT", f"{where}/{mr['iid']}", json={"state_event": "close"})  # the branch stays
    body = {"source_branch": MR_BRANCH, "target_branch": "main", "title": "reopened by a person"}
    newer = spec(PAYMENTS, python_versions=["3.12", "3.13"])

    result = lab.run("apply", newer, facets=[ActsBeforeObserving(lambda: lab.http("POST", where, json=body))])

    assert problems(result) == [] and result.projects[0].remaining == ()
    (opened,) = lab.open_mrs(PAYMENTS)
    assert opened["title"] == f"Apply blueprint {PYTHON_PACKAGE}" and opened["iid"] != mr["iid"]
    assert 'requires-python = ">=3.12"' in (lab.file(PAYMENTS, "pyproject.toml", ref=MR_BRANCH) or "")


def test_a_proposal_closed_after_the_bulk_read_is_not_reused(lab):
    """The bulk read saw the facet's merge request open; a person closes it before apply writes. Its
    update's answer says it is closed: a new one is opened, and the run ends with the proposal open."""
    assert problems(lab.run("apply", spec(PAYMENTS))) == []
    (mr,) = lab.open_mrs(PAYMENTS)
    close = f"/projects/{enc(PAYMENTS)}/merge_requests/{mr['iid']}"
    newer = spec(PAYMENTS, python_versions=["3.12", "3.13"])

    result = lab.run(
        "apply",
        newer,
        facets=[ActsBeforeObserving(lambda: lab.http("PUT", close, json={"state_event": "close"}))],
    )

    assert problems(result) == [] and result.projects[0].remaining == ()
    (opened,) = lab.open_mrs(PAYMENTS)
    assert opened["iid"] != mr["iid"] and opened["source_branch"] == MR_BRANCH
    assert lab.http("GET", close)["state"] == "closed"
    assert set(files_of(lab.run("check", newer)).values()) == {Action.AWAITING}
