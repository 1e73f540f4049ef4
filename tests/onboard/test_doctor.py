"""`provisioner doctor` against sandboxes serving old and new GitLab versions, with tokens of several
roles: what it says, and that it exits 1 exactly on what would make a run fail or mislead."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from provisioner.facets import inventory_sections, registered
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.onboard.doctor import Diagnosis, diagnose
from provisioner.sandbox.seed import DANA_TOKEN, RITA_TOKEN
from tests.support import ROOT, Sandbox, run_cli

DEMO = load_inventory(ROOT / "inventory.yaml", sections=inventory_sections())


def doctor(sandbox: Sandbox, token: str | None = None, inventory: Any = DEMO) -> Diagnosis:
    api = GitLabApi(sandbox.url, token or sandbox.token, max_retries=1)
    try:
        return diagnose(api, inventory, registered(), today=date.today(), samples=2)
    finally:
        api.close()


def by_area(diagnosis: Diagnosis) -> dict[str, tuple[str, str]]:
    return {c.area: (c.status, c.summary) for c in diagnosis.checks}


def test_the_demo_on_the_newest_gitlab_has_nothing_in_the_way(sandbox: Sandbox):
    found = doctor(sandbox)
    assert not found.failed, [c for c in found.checks if c.status == "problem"]
    areas = by_area(found)
    assert areas["server"] == (
        "ok",
        "GitLab 18.6.0-ee (Enterprise Edition): supported: 17.0 to 18.x, both editions",
    )
    assert areas["inventory"][0] == "ok"
    assert areas["graphql"][0] == "ok" and "without" not in areas["graphql"][1]
    assert areas["instance"] == ("note", "enforce_ci_inbound_job_token_scope_enabled: false")
    assert all(status == "ok" for area, (status, _) in areas.items() if area.startswith("facet "))


def test_the_demo_on_17_0_ce_names_each_key_it_cannot_honour_and_fails(gitlab_at):
    found = doctor(gitlab_at("17.0", edition="ce"))
    assert found.failed
    problems = {c.summary: c.details for c in found.checks if c.status == "problem"}
    assert problems == {
        "registry.package_protection_rules: needs GitLab 17.6 (1 target; runs say unsupported)": (
            "platform/billing",
        ),
        "registry.package_registry_access_level: needs GitLab 17.10 (10 targets; runs say unsupported)": (
            "data/ingest",
            "data/legacy-etl",
            "data/ml-pipeline",
            "data/reports",
            "data/warehouse",
            "and 5 more",
        ),
        "variables.DB_PASSWORD.hidden: needs GitLab 17.4 (1 target; runs say unsupported)": ("data/reports",),
    }
    areas = by_area(found)
    assert areas["server"][1] == "GitLab 17.0.0 (Community Edition): supported: 17.0 to 18.x, both editions"
    assert "variables (without hidden: needs GitLab 17.4)" in areas["graphql"][1]
    facet = {c.area: c.details for c in found.checks}["facet protection"]
    assert facet == ("needs GitLab EE: rest:ProtectedBranch.unprotect_access_levels",)


def test_a_gitlab_older_than_17_0_is_a_problem(gitlab_at):
    assert by_area(doctor(gitlab_at("16.11", seed="empty"), inventory=None))["server"][0] == "problem"


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # dana: Developer in platform (and its subgroups), nothing in data
        (
            DANA_TOKEN,
            {
                "token": "ok",
                "group platform": "problem",
                "group platform/libs": "problem",
                "group data": "problem",
            },
        ),
        # rita: Reporter in data, read_api only: plan and check work, apply does not
        (
            RITA_TOKEN,
            {"token": "warning", "group platform": "problem", "group data": "problem"},
        ),
    ],
)
def test_roles_on_the_managed_groups_from_the_inventory(
    sandbox: Sandbox, token: str, expected: dict[str, str]
):
    found = by_area(doctor(sandbox, token))
    assert {area: found[area][0] for area in expected} == expected
    assert found["instance"][0] == "note" and "administrator" in found["instance"][1]


def test_a_maintainer_of_every_managed_group_passes(sandbox: Sandbox):
    user = sandbox.api.post(
        "/users", json={"username": "maya", "name": "Maya", "email": "maya@x.test"}
    ).json()
    for group in ("platform", "data"):
        sandbox.add_member("groups", group, user["id"], 40)
    token = sandbox.api.post(
        f"/users/{user['id']}/personal_access_tokens",
        json={"name": "ops", "scopes": ["api"], "expires_at": (date.today() + timedelta(days=4)).isoformat()},
    ).json()["token"]
    found = doctor(sandbox, token)
    assert not found.failed
    areas = by_area(found)
    assert {areas[g][1] for g in ("group platform", "group platform/libs", "group data")} == {"Maintainer"}
    assert areas["token"][0] == "warning"  # expires in 4 days


def test_rate_limit_headers_are_shown_when_gitlab_sends_them(sandbox: Sandbox):
    limit = {"per_minute": 1000, "headers_on_every_answer": True}  # GitLab 18.6+ with the flag on
    assert sandbox.admin.post("/-/sandbox/rate-limit", json=limit).status_code == 200
    status, summary = by_area(doctor(sandbox, inventory=None))["rate limit"]
    assert status == "ok" and summary.startswith("throttle_authenticated_api: ") and "of 1000" in summary


def test_the_command_prints_a_table_or_json_and_exits_by_what_it_found(gitlab_at):
    old = gitlab_at("17.0", edition="ce")
    env = {"PROVISIONER_GITLAB_URL": old.url, "PROVISIONER_TOKEN": old.token}
    table = run_cli("doctor", env=env)
    assert table.returncode == 1, table.stderr
    assert "problem  inventory variables" in table.stdout and table.stdout.rstrip().endswith(
        "doctor: 3 problems"
    )
    as_json = run_cli("doctor", "--format", "json", env=env)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and {c["status"] for c in report["checks"]} >= {"ok", "note", "problem"}
    assert old.token not in table.stdout + table.stderr + as_json.stdout
