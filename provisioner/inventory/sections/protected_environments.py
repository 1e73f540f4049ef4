"""`protected_environments` (a project's) and `group_protected_environments` (a group's own, by
deployment tier): who may deploy to an environment, and whose approvals a deployment waits for.

GitLab Premium [G:doc/api/protected_environments.md, doc/api/group_protected_environments.md]. Who is
named by role, by username or by group path; GitLab keeps only users who are members of the project
with at least the Developer role and groups the project is shared with (for a group: its Maintainers
and Owners, and its subgroups) and silently drops anyone else
[G:ee/app/services/protected_environments/base_service.rb].
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from provisioner.inventory.schema.base import _Model, _no_duplicates, full_path_problem

Role = Literal["developer", "maintainer", "admin"]
"""The levels GitLab documents for deploy access and approvals (30, 40, 60)."""
ROLE_LEVELS: dict[str, int] = {"developer": 30, "maintainer": 40, "admin": 60}
ROLE_NAMES: dict[int, str] = {level: name for name, level in ROLE_LEVELS.items()}
Tier = Literal["production", "staging", "testing", "development", "other"]
"""A group-level protected environment is named by a deployment tier [G:ee/app/models/
protected_environment.rb `valid_tier_name`]."""

_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _username(name: str) -> str:
    if len(name) > 255 or not _USERNAME.match(name):
        raise ValueError(
            "a username: letters, digits, '_', '-' and '.', starting with a letter, digit or '_'"
        )
    return name


def _group_path(path: str) -> str:
    if (problem := full_path_problem(path, project=False)) is not None:
        raise ValueError(problem)
    return path


Username = Annotated[str, AfterValidator(_username)]
GroupPath = Annotated[str, AfterValidator(_group_path)]
EnvironmentName = Annotated[str, Field(min_length=1, max_length=255)]
"""ProtectedEnvironment: `validates :name, presence: true` (an environment of that name need not exist
yet); 255 is the column's length (unverified)."""


class Grantee(_Model):
    """Who: a role (`maintainer`, shorthand for `{role: maintainer}`), a user or a group."""

    role: Role | None = None
    user: Username | None = None
    """A user by username."""
    group: GroupPath | None = None
    """A group by full path."""
    inherited: bool = False
    """With `group`: members of its subgroups count too (GitLab's group_inheritance_type 1); by default
    only its direct members."""

    @model_validator(mode="before")
    @classmethod
    def _role_shorthand(cls, data: Any) -> Any:
        return {"role": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _exactly_one(self) -> Grantee:
        if [self.role, self.user, self.group].count(None) != 2:
            raise ValueError("give exactly one of role, user or group")
        if self.inherited and self.group is None:
            raise ValueError("inherited is only for a group")
        return self

    @property
    def key(self) -> tuple[str, str, bool]:
        """Who, whatever the spelling: GitLab compares usernames and paths without case."""
        if self.role is not None:
            return ("role", self.role, False)
        if self.user is not None:
            return ("user", self.user.lower(), False)
        return ("group", str(self.group).lower(), self.inherited)


class Approver(Grantee):
    required: Annotated[int, Field(ge=1, le=5)] = 1
    """Approvals required from them [G:ee/app/models/protected_environments/approval_rule.rb: 1 to 5]."""


class EnvironmentProtection(_Model):
    deploy: Annotated[list[Grantee], Field(min_length=1)]
    """Who may deploy (run jobs of this environment); GitLab requires at least one."""
    approvals: list[Approver] = []
    """Whose approvals a deployment waits for (GitLab's approval rules); none: no approval needed."""

    @model_validator(mode="after")
    def _once_each(self) -> EnvironmentProtection:
        _no_duplicates([g.key for g in self.deploy], "deploy entry")
        _no_duplicates([g.key for g in self.approvals], "approval rule for")
        return self


MAINTAINERS_DEPLOY = EnvironmentProtection(deploy=[Grantee(role="maintainer")])
"""How the environments a blueprint deploys to are protected unless the inventory says otherwise."""


class ProtectedEnvironmentsSection(_Model):
    environments: dict[EnvironmentName, EnvironmentProtection] = {}
    """Protected environments by name."""
    blueprint: bool | EnvironmentProtection = True
    """The environments the project's blueprint deploys to (python-package: gitlab-packages, and pypi
    when it publishes there), unless `environments` names them: true protects them with
    `deploy: [maintainer]`, a rule protects them with that rule, false leaves them alone (validate
    warns: anyone who may run a pipeline may then publish)."""
    prune: bool = False
    """Unprotect environments the inventory does not name (otherwise they are reported as unmanaged)."""

    def for_blueprint(self) -> EnvironmentProtection | None:
        if self.blueprint is False:
            return None
        return MAINTAINERS_DEPLOY if self.blueprint is True else self.blueprint


class GroupProtectedEnvironmentsSection(_Model):
    environments: dict[Tier, EnvironmentProtection] = {}
    """The group's protected environments, by deployment tier: they apply to every environment of
    that tier in the group's projects."""
    prune: bool = False
    """Unprotect tiers the inventory does not name (otherwise they are reported as unmanaged)."""
