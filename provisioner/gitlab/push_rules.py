"""A project's push rule: one per project, GitLab Premium [G:ee/lib/api/project_push_rule.rb,
doc/api/project_push_rules.md, ee/app/models/push_rule.rb].

Quirks kept here: a project that never had one reads back the literal `null`; a regex never set
reads back `null` or ""; `commit_committer_check` and `reject_unsigned_commits` read back `null` for
false (GitLab stores false as nil while no instance-wide rule turns them on). All three mean "off".
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from provisioner.errors import NotFound, Rejected
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once

PUSH_RULE = "push_rule"
FEATURE = "rest:GET /projects/:id/push_rule"


@dataclass(frozen=True)
class PushRuleRecord:
    commit_message_regex: str = ""
    commit_message_negative_regex: str = ""
    branch_name_regex: str = ""
    author_email_regex: str = ""
    file_name_regex: str = ""
    deny_delete_tag: bool = False
    member_check: bool = False
    prevent_secrets: bool = False
    max_file_size: int = 0
    commit_committer_check: bool = False
    reject_unsigned_commits: bool = False


NAMES = tuple(f.name for f in fields(PushRuleRecord))


def to_record(entity: Mapping[str, Any]) -> PushRuleRecord:
    values: dict[str, Any] = {}
    for f in fields(PushRuleRecord):
        raw = entity.get(f.name)
        if f.type == "str":
            values[f.name] = str(raw or "")
        elif f.type == "int":
            values[f.name] = int(raw or 0)
        else:
            values[f.name] = bool(raw)
    return PushRuleRecord(**values)


def read(api: GitLabApi, project_id: int) -> PushRuleRecord | None:
    """The project's push rule; None when it has none."""

    def fetch() -> PushRuleRecord | None:
        entity = api.get(f"/projects/{project_id}/push_rule")
        return to_record(entity) if isinstance(entity, Mapping) else None

    return cache.read(api, project_id, PUSH_RULE, fetch)


def create(api: GitLabApi, project_id: int, body: Mapping[str, Any]) -> None:
    """POST once; after a lost answer, a rule that is there now is ours (a project has one)."""

    def find() -> Any | None:
        cache.unknown(api, project_id, PUSH_RULE)
        return read(api, project_id)

    try:
        answer = create_once(lambda: api.post(f"/projects/{project_id}/push_rule", body), find)
    except Rejected as exc:
        if exc.status != 422:
            raise
        # Someone added one since the plan: write ours over it.
        answer = api.put(f"/projects/{project_id}/push_rule", body)
    _answered(api, project_id, answer)


def update(api: GitLabApi, project_id: int, body: Mapping[str, Any]) -> None:
    _answered(api, project_id, api.put(f"/projects/{project_id}/push_rule", body))


def delete(api: GitLabApi, project_id: int) -> None:
    with contextlib.suppress(NotFound):
        api.delete(f"/projects/{project_id}/push_rule")
    cache.answered(api, project_id, PUSH_RULE, lambda _old: None)


def _answered(api: GitLabApi, project_id: int, answer: Any) -> None:
    if isinstance(answer, Mapping) and "id" in answer:
        record = to_record(answer)
        cache.answered(api, project_id, PUSH_RULE, lambda _old: record)
    else:
        cache.unknown(api, project_id, PUSH_RULE)
