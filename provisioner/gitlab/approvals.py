"""Merge request approval settings and project approval rules (GitLab Premium; the Community Edition
has none of these routes) [G:ee/lib/api/project_approvals.rb, ee/lib/api/project_approval_rules.rb,
ee/lib/api/helpers/project_approval_rules_helpers.rb, doc/api/merge_request_approvals.md].

Quirks kept here: `require_reauthentication_to_approve` is GitLab 17.1's name of what was
`require_password_to_approve` (still read and written, deprecated); a rule's update resets
`applies_to_all_protected_branches` to false unless it is sent, so every update sends it with the
users, groups and branches in full; rules name protected branches by id, groups by id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner import gitlab_versions
from provisioner.errors import NotFound, ProvisionerError, Rejected
from provisioner.gitlab import cache, protection
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.job_tokens import group_id_of
from provisioner.gitlab.once import post_once
from provisioner.gitlab_versions import Version

SETTINGS = "approval_settings"
RULES = "approval_rules"
REAUTH = "require_reauthentication_to_approve"
REAUTH_FEATURE = "rest:ProjectApprovals.require_reauthentication_to_approve"
OLD_REAUTH = "require_password_to_approve"
SETTING_NAMES = (
    "reset_approvals_on_push",
    "disable_overriding_approvers_per_merge_request",
    "merge_requests_author_approval",
    "merge_requests_disable_committers_approval",
    REAUTH,
)
FEATURE = "rest:GET /projects/:id/approval_rules"
"""The row that says which GitLab has approval rules and settings at all (Premium)."""


@dataclass(frozen=True)
class ApprovalRuleRecord:
    id: int
    name: str
    approvals_required: int
    rule_type: str
    users: frozenset[str]  # usernames
    groups: frozenset[str]  # full paths
    protected_branches: frozenset[str]  # names
    applies_to_all_protected_branches: bool


def to_rule(entity: Mapping[str, Any]) -> ApprovalRuleRecord:
    everything = bool(entity.get("applies_to_all_protected_branches"))
    return ApprovalRuleRecord(
        id=int(entity["id"]),
        name=str(entity["name"]),
        approvals_required=int(entity.get("approvals_required") or 0),
        rule_type=str(entity.get("rule_type") or "regular"),
        # Usernames and group paths are case-insensitive in GitLab: compared in lower case.
        users=frozenset(str(u["username"]).lower() for u in entity.get("users") or ()),
        groups=frozenset(str(g["full_path"]).lower() for g in entity.get("groups") or ()),
        # With all protected branches, GitLab lists every one of them: the flag says it all.
        protected_branches=frozenset()
        if everything
        else frozenset(str(b["name"]) for b in entity.get("protected_branches") or ()),
        applies_to_all_protected_branches=everything,
    )


def to_settings(entity: Mapping[str, Any]) -> dict[str, bool]:
    """GitLab's answer in the inventory's names: before 17.1 the re-authentication setting is only
    `require_password_to_approve`."""
    found = {name: bool(entity[name]) for name in SETTING_NAMES if name in entity}
    if REAUTH not in found and OLD_REAUTH in entity:
        found[REAUTH] = bool(entity[OLD_REAUTH])
    return found


# -- settings ------------------------------------------------------------------------------------
def settings(api: GitLabApi, project_id: int) -> dict[str, bool]:
    def fetch() -> tuple[tuple[str, bool], ...]:
        return tuple(to_settings(api.get(f"/projects/{project_id}/approvals")).items())

    return dict(cache.read(api, project_id, SETTINGS, fetch))


def change_settings(api: GitLabApi, project_id: int, changes: Mapping[str, bool], server: Version) -> None:
    body = dict(changes)
    if REAUTH in body and not gitlab_versions.available(REAUTH_FEATURE, server):
        body[OLD_REAUTH] = body.pop(REAUTH)
    answer = api.post(f"/projects/{project_id}/approvals", body)
    if isinstance(answer, Mapping):
        cache.answered(api, project_id, SETTINGS, lambda _old: tuple(to_settings(answer).items()))
    else:
        cache.unknown(api, project_id, SETTINGS)


# -- rules -----------------------------------------------------------------------------------------
def rules(api: GitLabApi, project_id: int) -> list[ApprovalRuleRecord]:
    path = f"/projects/{project_id}/approval_rules"
    return list(cache.read(api, project_id, RULES, lambda: tuple(map(to_rule, api.list(path)))))


def rule_body(
    api: GitLabApi,
    project_id: int,
    *,
    name: str,
    approvals_required: int,
    users: Iterable[str],
    groups: Iterable[str],
    protected_branches: Iterable[str],
    applies_to_all_protected_branches: bool,
) -> dict[str, Any]:
    """Everything a rule is, in GitLab's parameters: ids for groups and branches. A group or branch
    that does not exist (or that the token cannot see) is refused here, by name."""
    group_ids = []
    for path in sorted(groups):
        group_id = group_id_of(api, path)
        if group_id is None:
            raise ProvisionerError(
                f"approval rule {name}: group {path} not found (or not visible to this token)"
            )
        group_ids.append(group_id)
    branch_ids = _protected_branch_ids(api, project_id, name, protected_branches)
    return {
        "name": name,
        "approvals_required": approvals_required,
        "usernames": sorted(users),
        "user_ids": [],  # both lists are added: [] keeps the update to exactly these usernames
        "group_ids": group_ids,
        "protected_branch_ids": branch_ids,
        "applies_to_all_protected_branches": applies_to_all_protected_branches,
    }


def _protected_branch_ids(api: GitLabApi, project_id: int, rule: str, names: Iterable[str]) -> list[int]:
    wanted = sorted(names)
    if not wanted:
        return []
    # As a REST read or the protection facet's writes showed them this run (the answer to the POST of
    # a replaced rule carries its new id [G:lib/api/protected_branches.rb `present protected_branch,
    # with: Entities::ProtectedBranch`; lib/api/entities/protected_branch.rb `expose :id`]); read
    # again when a rule named is not there or has no id there (a bulk read's).
    found = _protected_branch_ids_by_name(api, project_id)
    if any(name not in found for name in wanted):
        cache.unknown(api, project_id, protection.BRANCHES)
        found = _protected_branch_ids_by_name(api, project_id)
    missing = [name for name in wanted if name not in found]
    if missing:
        listed = ", ".join(missing)
        raise ProvisionerError(f"approval rule {rule}: not a protected branch of this project: {listed}")
    return [found[name] for name in wanted]


def _protected_branch_ids_by_name(api: GitLabApi, project_id: int) -> dict[str, int]:
    return {r.name: r.id for r in protection.protected_branches(api, project_id) if r.id is not None}


def create_rule(api: GitLabApi, project_id: int, body: Mapping[str, Any]) -> None:
    """A rule is unique by name: after a lost answer, look for it before posting again."""
    name = str(body["name"])

    def find() -> Any | None:
        cache.unknown(api, project_id, RULES)
        return next((r for r in rules(api, project_id) if r.name == name), None)

    try:
        answer = post_once(api, f"/projects/{project_id}/approval_rules", body, find=find)
    except Rejected as exc:
        if "has already been taken" not in exc.message:
            raise
        cache.unknown(api, project_id, RULES)  # our own earlier attempt landed after all
        return
    _answered(api, project_id, answer, gone=None)


def update_rule(api: GitLabApi, project_id: int, rule_id: int, body: Mapping[str, Any]) -> None:
    answer = api.put(f"/projects/{project_id}/approval_rules/{rule_id}", body)
    _answered(api, project_id, answer, gone=rule_id)


def delete_rule(api: GitLabApi, project_id: int, rule_id: int) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/approval_rules/{rule_id}")
    _answered(api, project_id, None, gone=rule_id)


def _answered(api: GitLabApi, project_id: int, answer: Any, *, gone: int | None) -> None:
    if answer is not None and not (isinstance(answer, Mapping) and "id" in answer):
        cache.unknown(api, project_id, RULES)
        return
    record = None if answer is None else to_rule(answer)
    dropped = {gone, None if record is None else record.id}
    cache.answered(
        api,
        project_id,
        RULES,
        lambda kept: (*(r for r in kept if r.id not in dropped), *(() if record is None else (record,))),
    )
