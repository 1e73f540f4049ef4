"""Typed errors. The library raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class ProvisionerError(Exception):
    """Base of every error the tool raises on purpose. `str()` is display-safe (no secrets)."""


@dataclass(frozen=True)
class InputProblem:
    """One problem in the user's input, located precisely."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    field: str  # dotted path inside the file, e.g. "projects.platform/billing.variables.PYPI_TOKEN.masked"
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InputError(ProvisionerError):
    """The inventory, a blueprint input or a secret reference is wrong. Raised before any API call."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class OutputError(ProvisionerError):
    """A file the tool was asked to write cannot be written safely: a symbolic link is where it goes, a
    folder is in the way, permission is denied. Nothing was written."""


class ConfigError(ProvisionerError):
    """Settings or credentials are missing or unsafe (no token, plain http to a remote host, ...)."""


class GitLabError(ProvisionerError):
    """An API call failed. Carries the method, the API path (never a token) and GitLab's own message."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        # GitLab's own texts often start with the code ("403 Forbidden"): say it once.
        code = f" {status}" if status and not message.startswith(str(status)) else ""
        super().__init__(f"{method} {path}:{code} {message}".rstrip())


class Unauthorized(GitLabError):
    """401: the token is missing, invalid, expired or revoked."""


class Forbidden(GitLabError):
    """403: the token's role or scope does not allow this."""


class NotFound(GitLabError):
    """404: missing, or not visible to this token."""


class Rejected(GitLabError):
    """400, 405, 409, 412 or 422: GitLab refused the request and said why."""


class AttributesRejected(Rejected):
    """GitLab refused a write of a target's attributes; `attributes`: those of the write its message
    names (none: it did not say which)."""

    def __init__(self, refused: Rejected, attributes: frozenset[str]) -> None:
        super().__init__(refused.method, refused.path, refused.status, refused.message)
        self.attributes = attributes


class RateLimited(GitLabError):
    """429 that outlasted the client's patience."""


class ServerError(GitLabError):
    """5xx."""


class Unreachable(GitLabError):
    """No usable answer: connection refused or dropped, timeout, TLS failure.

    For a write this means *unknown outcome*: the server may have done it. Callers observe again
    before deciding to repeat a non-idempotent create.
    """


class Stale(ProvisionerError):
    """What apply was about to change moved on GitLab since it was observed (a concurrent push):
    nothing was written. The project can be planned again against what is there now."""


class Interrupted(ProvisionerError):
    """The run was stopped at once (a second SIGINT) while these projects were being worked on."""

    def __init__(self, in_flight: list[str]) -> None:
        self.in_flight = in_flight
        names = ", ".join(in_flight) if in_flight else "none"
        super().__init__(f"projects in flight, possibly half-done: {names}; run apply again to converge")


class Unobservable(ProvisionerError):
    """A facet cannot see what it must compare (GitLab omits fields below Maintainer): unknown, not false."""
