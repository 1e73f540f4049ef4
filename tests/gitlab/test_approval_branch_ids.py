"""An approval rule names protected branches by id: taken from what this run's REST reads and write
answers showed of them (the POST that replaced a rule answers its new id), read again only when a
branch named is not there or has no id there (a bulk read's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from provisioner.errors import ProvisionerError
from provisioner.gitlab import approvals, cache, protection
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.protection import BranchRule
from tests.support import Sandbox

PAYMENTS = "platform%2Fpayments"  # `main` protected in the demo world


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[GitLabApi]:
    client = GitLabApi(sandbox.url, sandbox.token)
    yield client
    client.close()


def _rest_ids(sandbox: Sandbox, project_id: int) -> dict[str, int]:
    listed = requests.get(
        f"{sandbox.url}/api/v4/projects/{project_id}/protected_branches",
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=30,
    ).json()
    return {b["name"]: b["id"] for b in listed}


def _project_id(sandbox: Sandbox) -> int:
    found = requests.get(
        f"{sandbox.url}/api/v4/projects/{PAYMENTS}", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    return int(found.json()["id"])


def _ids(api: GitLabApi, project_id: int, names: list[str]) -> list[int]:
    body = approvals.rule_body(
        api,
        project_id,
        name="R",
        approvals_required=1,
        users=(),
        groups=(),
        protected_branches=names,
        applies_to_all_protected_branches=False,
    )
    return list(body["protected_branch_ids"])


def _main(rule_id: int | None) -> BranchRule:
    return BranchRule("main", frozenset({0}), frozenset({40}), None, id=rule_id)


def test_the_id_a_write_answered_is_used_without_reading_again(sandbox: Sandbox, api: GitLabApi) -> None:
    project_id = _project_id(sandbox)
    cache.shown(api, project_id, protection.BRANCHES, (_main(424242),))  # as a POST's answer kept it

    assert _ids(api, project_id, ["main"]) == [424242]


def test_a_branch_shown_without_an_id_or_not_shown_is_read_again(sandbox: Sandbox, api: GitLabApi) -> None:
    project_id = _project_id(sandbox)
    rest = _rest_ids(sandbox, project_id)
    cache.shown(api, project_id, protection.BRANCHES, (_main(None),))  # as a bulk read shows it
    assert _ids(api, project_id, ["main"]) == [rest["main"]]

    cache.shown(api, project_id, protection.BRANCHES, ())  # protected since it was read
    assert _ids(api, project_id, ["main"]) == [rest["main"]]


def test_a_branch_protected_nowhere_is_refused_by_name(sandbox: Sandbox, api: GitLabApi) -> None:
    project_id = _project_id(sandbox)
    with pytest.raises(ProvisionerError, match="not a protected branch of this project: nowhere"):
        _ids(api, project_id, ["nowhere"])
