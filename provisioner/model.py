"""The plain data that flows between the stages: load -> observe -> diff -> apply -> report.

Everything here is frozen and free of I/O. A `Change` carries two things: what a person may see
(`before`, `after`, `detail`: already redacted by the facet that made it) and what `apply` needs
(`payload`: in memory only, never serialised, may hold secret values).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

SENSITIVE = "(sensitive)"
"""What plans, logs and reports show in place of a secret value."""

WebhookEvent = Literal[
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "releases_events",
    "feature_flag_events",
]
WEBHOOK_EVENTS: tuple[str, ...] = get_args(WebhookEvent)
"""The events of a project hook [G:lib/api/entities/project_hook.rb] that every served version has (17.0 and later)."""


class Mode(enum.StrEnum):
    """What a run does: `plan` and `check` only read; `apply` writes and verifies."""

    PLAN = "plan"
    APPLY = "apply"
    CHECK = "check"


class TargetKind(enum.StrEnum):
    """What a target of the inventory is on GitLab; each facet works on one kind."""

    PROJECT = "project"
    GROUP = "group"


class Role(enum.IntEnum):
    """GitLab's roles by access level [G:lib/gitlab/access.rb]: what a token's user may do on a target."""

    GUEST = 10
    PLANNER = 15
    REPORTER = 20
    DEVELOPER = 30
    MAINTAINER = 40
    OWNER = 50

    @property
    def title(self) -> str:
        return self.name.capitalize()


class ProblemKind(enum.StrEnum):
    """Why work on a target (or one facet of it) stopped; reports and exit codes group by it."""

    ERROR = "error"  # GitLab refused or failed, or the input was wrong for this target
    PERMISSION = "permission"  # the token's role or scope does not allow it (said once per cause)
    CONFLICT = "conflict"  # GitLab answered 409
    STALE = "stale"  # what apply was about to change moved on GitLab (a push): planned again
    STALE_PLAN = "stale_plan"  # GitLab no longer matches the approved plan: nothing written
    NOT_STICKING = "not_sticking"  # written, answered success, and read back unchanged
    NOT_FOUND = "not_found"  # the target does not exist, and the inventory does not create it
    NOT_CHECKED = "not_checked"  # the run stopped before it (GitLab unreachable, the input refused)
    INTERNAL = "internal"  # a defect of the tool: details in the log file


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"  # delete and create: for things GitLab cannot update in place (deploy tokens)
    UNMANAGED = "unmanaged"  # reported, never applied: something exists that the inventory does not name
    AWAITING = "awaiting"  # proposed in a merge request, waiting for a person: drift, but nothing to write
    UNSUPPORTED = "unsupported"  # the inventory asks what this GitLab cannot do ("needs GitLab 17.4",
    # "needs EE"): said for each target it concerns, neither drift nor written
    UNVERIFIED = "unverified"  # a secret value this run was not given (check needs none): its metadata
    # compared, its value not; neither drift nor written
    UNCOVERED = "uncovered"  # a project under a group of the inventory that the inventory does not manage:
    # drift for a compliance check, nothing to write

    @property
    def is_write(self) -> bool:
        return self not in _NOTICES

    @property
    def checked(self) -> bool:
        """False for what the run could not check (UNSUPPORTED, UNVERIFIED): a JUnit `skipped` case."""
        return self not in (Action.UNSUPPORTED, Action.UNVERIFIED)


_NOTICES = frozenset(
    {Action.UNMANAGED, Action.AWAITING, Action.UNSUPPORTED, Action.UNVERIFIED, Action.UNCOVERED}
)


@dataclass(frozen=True)
class Change:
    """One typed difference between the inventory and GitLab, for one project and one facet."""

    facet: str
    target: str  # what the change is about, in the user's words: "variable PYPI_TOKEN (scope *)"
    action: Action
    before: Mapping[str, Any] | None = None  # display-safe: secret values already replaced by SENSITIVE
    after: Mapping[str, Any] | None = None
    detail: str | None = None  # display-safe extra text, such as a unified diff of a file
    payload: Any = field(default=None, compare=False, repr=False)  # for apply only; never serialised
    unshown: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """By field: what GitLab holds where `before` shows no value (`(not shown)`, `(sensitive)`). Never
    serialised: a saved plan keeps keyed fingerprints of it, to see GitLab change since the plan."""

    @property
    def is_pending(self) -> bool:
        """A change that apply would make (as opposed to a notice)."""
        return self.action.is_write

    @property
    def is_drift(self) -> bool:
        """GitLab differs from the inventory: pending, waiting on a merge request, or not covered."""
        return self.action.is_write or self.action in (Action.AWAITING, Action.UNCOVERED)

    def settled(self, *, keep_detail: bool = True) -> Change:
        """The change as reports keep it once its project is done: without the apply payload."""
        if self.payload is None and (keep_detail or self.detail is None):
            return self
        return replace(self, payload=None, detail=self.detail if keep_detail else None)

    def public(self) -> dict[str, Any]:
        """The serialisable, display-safe view used by plan files and reports."""
        out: dict[str, Any] = {"facet": self.facet, "target": self.target, "action": self.action.value}
        if self.before is not None:
            out["before"] = dict(self.before)
        if self.after is not None:
            out["after"] = dict(self.after)
        if self.detail is not None:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class ProjectRef:
    """A project as found on the server: identity plus the project entity as read (REFERENCE 2.1).

    `attributes` is the entity GitLab returned, read-only. A key missing from it means "unknown"
    (GitLab omits CI/CD fields below the Maintainer role), never false.
    """

    id: int
    path: str  # full path, e.g. "platform/billing"
    default_branch: str | None
    empty_repo: bool = False
    web_url: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class GroupRef:
    """A group as found on the server (REFERENCE 2.2): identity plus the group entity as read."""

    id: int
    path: str  # full path, e.g. "platform/tools"
    web_url: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


TargetRef = ProjectRef | GroupRef


@dataclass(frozen=True)
class Problem:
    """An error that stopped work on one target (or one facet of it), as a value."""

    project: str  # the target's name in reports: a project's path, or "group <path>"
    facet: str | None
    message: str  # display-safe
    kind: ProblemKind = ProblemKind.ERROR

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ProblemKind(self.kind))  # a typo fails here, not in a report


@dataclass(frozen=True)
class ProjectResult:
    """What happened to one project in a run (plan, apply or check)."""

    project: str
    planned: tuple[Change, ...] = ()  # pending changes and notices found by the diff
    applied: tuple[Change, ...] = ()  # changes written by apply
    remaining: tuple[Change, ...] = ()  # pending changes still found after apply (verify)
    problems: tuple[Problem, ...] = ()
    facets: tuple[str, ...] = ()  # the facets the inventory configures for this target (JUnit cases)
    proposed: tuple[Change, ...] = ()  # AWAITING after apply: what apply put in a merge request (its URL)

    @property
    def pending(self) -> tuple[Change, ...]:
        return tuple(c for c in self.planned if c.is_pending)

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.planned if c.is_drift)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def settled(self) -> ProjectResult:
        """What a run keeps of a finished project: no apply payloads (file contents, secret values),
        and no diff of what apply wrote (the plan showed it; the commit or merge request holds it).
        Held for thousands of projects until the report, they were most of a bulk apply's memory."""
        written = {(c.facet, c.target) for c in self.applied}

        def kept(changes: tuple[Change, ...]) -> tuple[Change, ...]:
            return tuple(c.settled(keep_detail=(c.facet, c.target) not in written) for c in changes)

        remaining = tuple(c.settled() for c in self.remaining)  # did not stick: its diff says how
        proposed = tuple(c.settled(keep_detail=False) for c in self.proposed)  # the merge request has it
        return replace(
            self,
            planned=kept(self.planned),
            applied=kept(self.applied),
            remaining=remaining,
            proposed=proposed,
        )


@dataclass(frozen=True)
class RunResult:
    mode: Mode
    projects: tuple[ProjectResult, ...]
    interrupted: bool = False
    started_at: str | None = None  # ISO 8601, UTC; set by the command that ran it
    duration: float | None = None  # seconds

    @property
    def failed(self) -> bool:
        return any(p.failed for p in self.projects)

    @property
    def pending(self) -> bool:
        """Some change is left for apply to make."""
        return any(p.pending for p in self.projects)

    @property
    def drift(self) -> bool:
        """Some project differs from the inventory (pending, or awaiting a merge request)."""
        return any(p.drift for p in self.projects)
