"""A facet is its module and one line in the registry: a toy facet, defined and registered here, runs
through validate, plan, apply, check and import with no other product file touched.

The toy manages a project's description under its own inventory section, `toy`. It reads and writes
through the area modules like any facet; the engine, the loader and the importer learn of it only from
the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML
from typer.testing import CliRunner

import provisioner.facets
from provisioner.cli import app
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions
from provisioner.gitlab import projects
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import Action, Change, GroupRef, ProjectRef, Role, TargetKind
from tests.support import Sandbox

PROJECT = "platform/billing"


class Toy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    """What the project's description must say."""


class ToyFacet(FacetDefaults):
    name = "toy"
    write_role = Role.MAINTAINER
    kind = TargetKind.PROJECT
    section = "toy"
    schema = Toy

    def wants(self, spec: ProjectSpec) -> bool:
        return getattr(spec.config, "toy", None) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> str:
        return str(project.attributes.get("description") or "")

    def diff(self, spec: ProjectSpec, observed: str, options: PlanOptions) -> list[Change]:
        want = spec.config.toy.description  # type: ignore[attr-defined]
        if observed == want:
            return []
        return [
            Change(
                self.name,
                "description",
                Action.UPDATE,
                {"description": observed},
                {"description": want},
                payload=want,
            )
        ]

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        projects.update(api, project.id, {"description": changes[0].payload})

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> str:
        return str(project.attributes.get("description") or "")

    def describe(self, project: ProjectRef, current: Any) -> Description:
        return Description(entry={"toy": {"description": current}} if current else {})


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> ToyFacet:
    toy = ToyFacet()
    monkeypatch.setattr(provisioner.facets, "FACETS", (*provisioner.facets.FACETS, toy))
    return toy


def test_a_toy_facet_runs_through_every_command(
    registered: ToyFacet, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_LOG_FILE": str(tmp_path / "log"),
    }

    def cli(*args: str) -> Any:
        return CliRunner().invoke(app, list(args), env=env)

    Path("typo.yaml").write_text(f"version: 1\nprojects:\n  {PROJECT}:\n    toy: {{descriptoin: x}}\n")
    typo = cli("validate", "--inventory", "typo.yaml")
    assert typo.exit_code == 1
    assert "typo.yaml:4" in typo.output and "descriptoin" in typo.output

    Path("inventory.yaml").write_text(
        f"version: 1\nprojects:\n  {PROJECT}:\n    toy: {{description: kept by the toy}}\n"
    )
    assert cli("validate").exit_code == 0
    plan = cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "toy" in plan.output and "kept by the toy" in plan.output

    sandbox.reset_counters()
    applied = cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert sandbox.counters()["writes"] == 1  # one PUT, then verified from its answer
    described = sandbox.api.get(f"/projects/{quote(PROJECT, safe='')}").json()["description"]
    assert described == "kept by the toy"

    sandbox.reset_counters()
    assert cli("apply", "--yes").exit_code == 0
    assert sandbox.counters()["writes"] == 0  # idempotent
    assert cli("check").exit_code == 0

    sandbox.api.put(f"/projects/{quote(PROJECT, safe='')}", json={"description": "changed by hand"})
    drift = cli("check")
    assert drift.exit_code == 2 and "toy" in drift.output

    imported = cli("import", "platform", "--out", "imported.yaml")
    assert imported.exit_code == 0, imported.output
    entry = YAML(typ="safe").load(Path("imported.yaml").read_text())["projects"][PROJECT]
    assert entry["toy"] == {"description": "changed by hand"}


def test_without_the_registration_the_section_is_unknown(sandbox: Sandbox, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(f"version: 1\nprojects:\n  {PROJECT}:\n    toy: {{description: x}}\n")
    result = CliRunner().invoke(app, ["validate", "--inventory", str(inventory)])
    assert result.exit_code == 1 and "toy" in result.output


class GroupToyFacet(FacetDefaults):
    """The same for a group itself: its own section (`group_toy`) is the group's, not its projects'."""

    name = "group_toy"
    write_role = Role.OWNER  # PUT /groups/:id: admin_group [G:app/policies/group_policy.rb]
    kind = TargetKind.GROUP
    section = "group_toy"
    schema = Toy

    def wants(self, spec: GroupSpec) -> bool:
        return getattr(spec.config, "group_toy", None) is not None

    def observe(self, api: GitLabApi, group: GroupRef, spec: GroupSpec) -> str:
        return str(api.get(f"/groups/{group.id}").get("description") or "")

    def diff(self, spec: GroupSpec, observed: str, options: PlanOptions) -> list[Change]:
        want = spec.config.group_toy.description  # type: ignore[union-attr]
        if observed == want:
            return []
        return [
            Change(
                self.name,
                "description",
                Action.UPDATE,
                {"description": observed},
                {"description": want},
                payload=want,
            )
        ]

    def apply(self, api: GitLabApi, group: GroupRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        api.put(f"/groups/{group.id}", {"description": changes[0].payload})

    def read_current(self, api: GitLabApi, group: GroupRef, notes: list[str]) -> str:
        return str(api.get(f"/groups/{group.id}").get("description") or "")

    def describe(self, group: GroupRef, current: Any) -> Description:
        return Description(entry={"group_toy": {"description": current}} if current else {})


def test_a_toy_group_facet_works_on_the_group_itself(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provisioner.facets, "FACETS", (*provisioner.facets.FACETS, GroupToyFacet()))
    monkeypatch.chdir(tmp_path)
    env = {"PROVISIONER_GITLAB_URL": sandbox.url, "PROVISIONER_TOKEN": sandbox.token}

    def cli(*args: str) -> Any:
        return CliRunner().invoke(app, list(args), env=env)

    Path("inventory.yaml").write_text(
        "version: 1\ngroups:\n  platform:\n    group_toy: {description: the platform}\n"
    )
    assert "group_toy" in cli("plan").output
    applied = cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert sandbox.api.get("/groups/platform").json()["description"] == "the platform"
    sandbox.reset_counters()
    assert cli("apply", "--yes").exit_code == 0 and sandbox.counters()["writes"] == 0
    assert cli("check").exit_code == 0

    # A group's own section is not a project's: under a project it is unknown.
    Path("inventory.yaml").write_text(
        "version: 1\nprojects:\n  platform/billing:\n    group_toy: {description: x}\n"
    )
    refused = cli("validate")
    assert refused.exit_code == 1 and "group_toy" in refused.output

    imported = cli("import", "platform", "--out", "imported.yaml")
    assert imported.exit_code == 0, imported.output
    written = YAML(typ="safe").load(Path("imported.yaml").read_text())
    assert written["groups"]["platform"]["group_toy"] == {"description": "the platform"}


def test_a_group_whose_facet_needs_more_than_the_token_has_is_skipped_before_any_write(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19, item 9, for a group target: its role is the membership GitLab lists (members/all)."""
    monkeypatch.setattr(provisioner.facets, "FACETS", (*provisioner.facets.FACETS, GroupToyFacet()))
    monkeypatch.chdir(tmp_path)
    user_id, token = sandbox.user_with_token("gina", ["api"])
    sandbox.add_member("groups", "platform", user_id, 40)
    Path("inventory.yaml").write_text(
        "version: 1\ngroups:\n  platform:\n    group_toy: {description: the platform}\n"
    )
    sandbox.reset_counters()
    env = {"PROVISIONER_GITLAB_URL": sandbox.url, "PROVISIONER_TOKEN": token}
    applied = CliRunner().invoke(app, ["apply", "--yes"], env=env)
    assert applied.exit_code == 1
    assert "the token has the Maintainer role here; group_toy need Owner or higher" in applied.output
    assert sandbox.counters()["writes"] == 0
