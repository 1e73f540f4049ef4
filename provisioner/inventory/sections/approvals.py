"""`approval_settings` and `approval_rules`: merge request approvals of a project (GitLab Premium)
[G:doc/api/merge_request_approvals.md, ee/lib/api/project_approvals.rb,
ee/lib/api/helpers/project_approval_rules_helpers.rb]."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

APPROVALS_REQUIRED_MAX = 100
"""ApprovalRuleLike::APPROVALS_REQUIRED_MAX [G:ee/app/models/concerns/approval_rule_like.rb]."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ApprovalSettings(_Section):
    """`POST /projects/:id/approvals`, under GitLab's names. A key left out is not managed."""

    reset_approvals_on_push: bool | None = None
    """Remove all approvals when commits are added to the source branch."""
    disable_overriding_approvers_per_merge_request: bool | None = None
    """Prevent editing approval rules in merge requests."""
    merge_requests_author_approval: bool | None = None
    """true: authors may approve their own merge requests."""
    merge_requests_disable_committers_approval: bool | None = None
    """true: users who add commits to a merge request cannot approve it."""
    require_reauthentication_to_approve: bool | None = None
    """Approvers enter their password (or SAML) to approve. Written as require_password_to_approve on
    GitLab before 17.1, where it has that name."""


def _no_duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is given twice")
        seen.add(value)
    return values


class ApprovalRule(_Section):
    """A project-level approval rule; its name (the key) is its identity."""

    approvals_required: Annotated[int, Field(ge=0, le=APPROVALS_REQUIRED_MAX)]
    """How many of the eligible approvers must approve (0 to 100)."""
    users: list[Annotated[str, Field(min_length=1)]] = []
    """Eligible approvers by username. GitLab keeps only members of the project (or of its groups)."""
    groups: list[Annotated[str, Field(min_length=1)]] = []
    """Eligible approvers by group full path: the group's members."""
    protected_branches: list[Annotated[str, Field(min_length=1)]] = []
    """The rule applies to merge requests into these protected branches (by name); none: all branches."""
    applies_to_all_protected_branches: bool = False
    """The rule applies to every protected branch (then protected_branches must be empty)."""

    @model_validator(mode="after")
    def _consistent(self) -> ApprovalRule:
        _no_duplicates(self.users, "user")
        _no_duplicates(self.groups, "group")
        _no_duplicates(self.protected_branches, "protected branch")
        if self.applies_to_all_protected_branches and self.protected_branches:
            raise ValueError("give protected_branches or applies_to_all_protected_branches: true, not both")
        return self


class ApprovalRules(_Section):
    rules: dict[Annotated[str, Field(min_length=1)], ApprovalRule] = {}
    """Rules by name."""
    prune: bool = False
    """Delete rules the inventory does not name (otherwise they are only reported as unmanaged)."""
