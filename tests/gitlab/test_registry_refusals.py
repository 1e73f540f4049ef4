"""Registry writes planned on a stale view (facets/registries: its allowlists and protection rules are
written on their bulk reads): GitLab refuses to add what is there, and nothing is overwritten; the run
cache forgets what the refused write was about, so that verification reads it again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from provisioner.errors import Rejected
from provisioner.gitlab import cache, job_tokens, registry
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.cache import MISSING
from tests.support import Sandbox


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[GitLabApi]:
    client = GitLabApi(sandbox.url, sandbox.token)
    yield client
    client.close()


def _id(sandbox: Sandbox, kind: str, path: str) -> int:
    found = requests.get(
        f"{sandbox.url}/api/v4/{kind}/{path.replace('/', '%2F')}",
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=30,
    )
    return int(found.json()["id"])


def _post(sandbox: Sandbox, path: str, body: dict[str, object]) -> None:
    made = requests.post(
        f"{sandbox.url}/api/v4{path}", json=body, headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    assert made.status_code == 201, made.text


def test_an_allowlist_entry_added_meanwhile_is_taken_as_there_and_read_again(
    sandbox: Sandbox, api: GitLabApi
) -> None:
    billing, other = (
        _id(sandbox, "projects", "platform/billing"),
        _id(sandbox, "projects", "platform/payments"),
    )
    group = _id(sandbox, "groups", "platform")
    cache.shown(api, billing, job_tokens.PROJECTS, ())  # the view the adds were planned on: empty
    cache.shown(api, billing, job_tokens.GROUPS, ())
    _post(sandbox, f"/projects/{billing}/job_token_scope/allowlist", {"target_project_id": other})
    _post(sandbox, f"/projects/{billing}/job_token_scope/groups_allowlist", {"target_group_id": group})

    job_tokens.add_project(api, billing, other)
    job_tokens.add_group(api, billing, group)

    assert api.cache.get(billing, job_tokens.PROJECTS) is MISSING
    assert [e.id for e in job_tokens.allowed_projects(api, billing)] == [other]
    assert [e.id for e in job_tokens.allowed_groups(api, billing)] == [group]


def test_a_protection_rule_made_meanwhile_is_not_overwritten_and_read_again(
    sandbox: Sandbox, api: GitLabApi
) -> None:
    billing = _id(sandbox, "projects", "platform/billing")
    pattern = "platform/billing/images/*"
    cache.shown(api, billing, registry.CONTAINER_RULES, ())
    cache.shown(api, billing, registry.PACKAGE_RULES, ())
    _post(
        sandbox,
        f"/projects/{billing}/registry/protection/repository/rules",
        {"repository_path_pattern": pattern, "minimum_access_level_for_push": "owner"},
    )
    package = {"package_name_pattern": "bench-*", "package_type": "pypi"}
    _post(
        sandbox,
        f"/projects/{billing}/packages/protection/rules",
        package | {"minimum_access_level_for_push": "owner"},
    )

    registry.create_container_rule(
        api, billing, {"repository_path_pattern": pattern, "minimum_access_level_for_push": "maintainer"}
    )
    registry.create_package_rule(api, billing, package | {"minimum_access_level_for_push": "maintainer"})

    assert [r.minimum_access_level_for_push for r in registry.container_rules(api, billing)] == ["owner"]
    assert [r.minimum_access_level_for_push for r in registry.package_rules(api, billing)] == ["owner"]


def test_another_refusal_of_a_rule_still_fails(sandbox: Sandbox, api: GitLabApi) -> None:
    billing = _id(sandbox, "projects", "platform/billing")
    with pytest.raises(Rejected):  # the pattern must start with the project's path
        registry.create_container_rule(
            api, billing, {"repository_path_pattern": "elsewhere/*", "minimum_access_level_for_push": "owner"}
        )
