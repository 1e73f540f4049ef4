"""The report files of `check` (JUnit, JSON, HTML), written whatever happened: the nightly job's
artifacts must not be empty exactly when something is wrong. A run that could not be made (GitLab
unreachable, a bad token, an inventory that does not load) gives an error case per target it would
have checked, or one for the run when not even the targets are known."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from provisioner import safe_files
from provisioner.errors import ConfigError, InputError, ProvisionerError
from provisioner.model import Mode, Problem, ProblemKind, ProjectResult, RunResult
from provisioner.report import html_report, json_report, junit
from provisioner.report.trend import Trend

RUN_TARGET = "provisioner check"  # the JUnit class of the one case of a run that knows no target


@dataclass(frozen=True)
class Timer:
    """When a command started, for the reports' time and duration."""

    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    _start: float = field(default_factory=time.monotonic)

    def stamp(self, result: RunResult) -> RunResult:
        return replace(result, started_at=self.started_at, duration=time.monotonic() - self._start)


@dataclass(frozen=True)
class Reports:
    junit: Path | None = None
    json: Path | None = None
    html: Path | None = None

    def write(self, result: RunResult, *, trend: Trend | None = None, **extra: Any) -> None:
        """Each report asked for; a file that cannot be written is an error naming it."""
        if self.junit is not None:
            with _opened(self.junit) as file:
                file.write(junit.render(result))
        if self.json is not None:
            with _opened(self.json) as file:
                file.writelines(json_report.chunks(result, trend, **extra))
        if self.html is not None:
            url = extra.get("gitlab_url")
            with _opened(self.html) as file:
                file.write(html_report.render(result, gitlab_url=url, trend=trend))


@contextmanager
def _opened(path: Path) -> Iterator[TextIO]:
    """A report is written whole or not at all (a temporary file renamed over it), never through a
    symbolic link, readable by its owner only (see `provisioner.safe_files`)."""
    try:
        with safe_files.replacing(path, private=True) as file:
            yield file
    except OSError as exc:
        raise ConfigError(f"cannot write the report {path}: {exc.strerror or type(exc).__name__}") from None


def cause(exc: BaseException) -> str:
    """What stopped the run, in one display-safe line (the console says the rest)."""
    if isinstance(exc, InputError):
        first = exc.problems[0] if exc.problems else "?"
        return f"the inventory has {len(exc.problems)} problem(s), the first: {first}"
    if isinstance(exc, ProvisionerError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted before any project was checked"
    return f"internal error ({type(exc).__name__}); the traceback is in the log file"


def failed_run(targets: list[str], message: str, mode: str = "check") -> RunResult:
    names = targets or [RUN_TARGET]
    return RunResult(
        mode=Mode(mode),
        projects=tuple(
            ProjectResult(t, problems=(Problem(t, None, message, ProblemKind.NOT_CHECKED),)) for t in names
        ),
    )
