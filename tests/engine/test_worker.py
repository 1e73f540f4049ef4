"""The per-project loop: failures are values, partial applies are reported exactly, causes said once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.engine.run import run
from provisioner.engine.worker import collapse
from provisioner.errors import Rejected
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, Problem, ProjectRef
from tests.support import OnEveryProject, Sandbox

KEYS = ("FIRST", "SECOND")


class HalfFailing(OnEveryProject):
    """Writes one variable per change and fails on the second: a facet that breaks halfway."""

    name = "half"

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> set[str]:
        return {v["key"] for v in api.list(f"/projects/{project.id}/variables")}

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        return [
            Change(self.name, f"variable {k}", Action.CREATE, payload=k) for k in KEYS if k not in observed
        ]

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        for change in changes:
            if change.payload == "SECOND":
                raise Rejected("POST", "/projects/x/variables", 400, "value is invalid")
            api.post(f"/projects/{project.id}/variables", {"key": change.payload, "value": "v"})


def test_a_facet_failing_halfway_reports_exactly_what_it_applied(sandbox: Sandbox):
    api = GitLabApi(sandbox.url, sandbox.token)
    spec = ProjectSpec(path="platform/billing", config=Project())
    result = run(api, [spec], mode="apply", facets=[HalfFailing()]).projects[0]
    assert [c.target for c in result.applied] == ["variable FIRST"]
    assert [c.target for c in result.remaining] == ["variable SECOND"]
    assert [(p.facet, p.kind) for p in result.problems] == [("half", "error")]  # no "did not stick" on top
    assert "value is invalid" in result.problems[0].message


def test_the_same_permission_problem_in_several_facets_is_said_once():
    message = "the token has the Developer role on this project; this needs Maintainer or higher"
    problems = [
        Problem("p", "settings", message, "permission"),
        Problem("p", "runners", message, "permission"),
        Problem("p", "registry", "other", "error"),
    ]
    collapsed = collapse(problems)
    assert [(p.facet, p.message) for p in collapsed] == [
        (None, f"{message} (settings, runners)"),
        ("registry", "other"),
    ]


class RenamedAttribute(OnEveryProject):
    """Writes an attribute under a name this GitLab does not know (as after a rename): GitLab drops
    unknown attributes silently (REFERENCE 1.5), so the write "succeeds" and changes nothing."""

    name = "renamed"

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> Any:
        return project.attributes["ci_config_path"]

    def diff(self, spec: ProjectSpec, observed: Any, options: PlanOptions) -> list[Change]:
        if observed == "ci/main.yml":
            return []
        return [
            Change(
                self.name,
                "ci config",
                Action.UPDATE,
                {"ci_config_path": observed},
                {"ci_config_path": "ci/main.yml"},
            )
        ]

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        api.put(f"/projects/{project.id}", {"ci_config_file": "ci/main.yml", "description": "touched"})


def test_a_write_gitlab_silently_dropped_is_reported_as_not_sticking(sandbox: Sandbox):
    """DESIGN.md trap: read back after a write; what did not stick is an error, not a loop."""
    api = GitLabApi(sandbox.url, sandbox.token)
    spec = ProjectSpec(path="platform/billing", config=Project())
    result = run(api, [spec], mode="apply", facets=[RenamedAttribute()]).projects[0]
    assert result.failed and result.applied == ()
    (problem,) = result.problems
    assert problem.kind == "not_sticking" and "ci config: did not stick" in problem.message
    assert [c.target for c in result.remaining] == ["ci config"]


def test_changes_equal_in_several_projects_are_held_once(sandbox: Sandbox):
    """A bulk plan finds the same change in thousands of projects; the run keeps one of each."""
    api = GitLabApi(sandbox.url, sandbox.token)
    specs = [ProjectSpec(path=path, config=Project()) for path in ("platform/billing", "platform/payments")]
    billing, payments = run(api, specs, mode="plan", facets=[HalfFailing()]).projects
    assert (billing.project, payments.project) == ("platform/billing", "platform/payments")
    assert [c.target for c in billing.planned] == ["variable FIRST", "variable SECOND"]
    assert billing.planned == payments.planned
    assert all(a is b for a, b in zip(billing.planned, payments.planned, strict=True))
