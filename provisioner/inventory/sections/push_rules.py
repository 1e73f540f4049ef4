"""`push_rules`: the project's one push rule (GitLab Premium) [G:ee/lib/api/project_push_rule.rb,
doc/api/project_push_rules.md, ee/app/models/concerns/push_ruleable.rb]. A key left out is not managed."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from provisioner.inventory.sections.re2 import re2_problem

SHORT_REGEX_MAX, LONG_REGEX_MAX = 511, 2047
"""PushRuleable: commit_message_negative_regex up to 2047 characters, the other regexes 511."""


def _re2(pattern: str) -> str:
    problem = re2_problem(pattern) if pattern else None
    if problem:
        raise ValueError(f"not valid RE2 syntax (GitLab's regular expressions): {problem}")
    return pattern


ShortRegex = Annotated[str, Field(max_length=SHORT_REGEX_MAX), AfterValidator(_re2)]
LongRegex = Annotated[str, Field(max_length=LONG_REGEX_MAX), AfterValidator(_re2)]


class PushRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    commit_message_regex: ShortRegex | None = None
    """Every commit message must match (RE2; "" for none)."""
    commit_message_negative_regex: LongRegex | None = None
    """No commit message may match (RE2; "" for none)."""
    branch_name_regex: ShortRegex | None = None
    """Every branch name must match (RE2; "" for none)."""
    author_email_regex: ShortRegex | None = None
    """Every commit author's email must match (RE2; "" for none)."""
    file_name_regex: ShortRegex | None = None
    """No committed file name may match (RE2; "" for none)."""
    deny_delete_tag: bool | None = None
    """Nobody deletes a tag with git push."""
    member_check: bool | None = None
    """Commit authors must be GitLab users."""
    prevent_secrets: bool | None = None
    """Reject files that likely hold secrets (GitLab's list of names)."""
    max_file_size: Annotated[int, Field(ge=0)] | None = None
    """Largest file in MB a push may add; 0: no limit."""
    commit_committer_check: bool | None = None
    """The committer's email must be one of the pusher's verified emails."""
    reject_unsigned_commits: bool | None = None
    """Reject commits that are not signed."""
