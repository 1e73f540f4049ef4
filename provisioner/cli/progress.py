"""Progress while a run works, that keeps moving while it waits.

On a terminal: a bar (rich) whose last column says what the run is waiting for, counting down
("waiting 42 s for GitLab's rate limit (RateLimit-Reset)"). Elsewhere (a CI log): one line at most every
`interval` seconds, and only once the run has lasted that long, so that a short run prints nothing and
a long wait never looks like a hang.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from provisioner.gitlab.ratelimit import Wait
from provisioner.model import ProjectResult
from provisioner.report.summary import status
from provisioner.secrets import redact

INTERVAL = 10.0
log = logging.getLogger(__name__)


class Progress:
    def __init__(
        self,
        total: int,
        mode: str,
        *,
        quiet: bool = False,
        stream: TextIO | None = None,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._total = total
        self._mode = mode
        self._done = 0
        self._lock = threading.Lock()
        self._quiet = quiet
        self._stream = stream or sys.stderr
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last_line = self._started  # nothing in the first interval: a short run stays quiet
        self._wait: tuple[Wait, float] | None = None  # the current pause and when it ends
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._bar: Any = None
        self._task: Any = None
        if not quiet and self._stream.isatty():
            self._bar = _bar(self)

    # -- what the line says --------------------------------------------------------------------------
    def waiting_text(self) -> str:
        """The pause in progress, counting down; empty when there is none."""
        with self._lock:
            if self._wait is None:
                return ""
            wait, until = self._wait
            left = until - self._clock()
        if left <= 0:
            return ""
        return str(Wait(left, wait.reason))

    def line(self) -> str:
        elapsed = self._clock() - self._started
        minutes, seconds = divmod(int(elapsed), 60)
        text = f"{self._mode}: {self._done}/{self._total} done, {minutes}:{seconds:02d} elapsed"
        waiting = self.waiting_text()
        return redact(f"{text}; {waiting}" if waiting else text)

    # -- events ----------------------------------------------------------------------------------------
    def waiting(self, wait: Wait) -> None:
        """A pause of the run's requests (rate limit, back-off before a retry): from the limiter."""
        with self._lock:
            self._wait = (wait, self._clock() + wait.seconds)
        self._maybe_print()

    def __call__(self, result: ProjectResult) -> None:
        """A project (or group) is done: counted on the line, and one line in the log file for each."""
        with self._lock:
            self._done += 1
        log.info("finished %s: %s", result.project, status(result, self._mode))
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done, description=f"{self._mode} {result.project}")
        self._maybe_print()

    def _maybe_print(self, *, force: bool = False) -> None:
        if self._quiet or self._bar is not None:
            return
        with self._lock:
            now = self._clock()
            if not force and now - self._last_line < self._interval:
                return
            self._last_line = now
        print(self.line(), file=self._stream, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(min(1.0, self._interval) or 1.0):
            self._maybe_print()

    # -- lifetime --------------------------------------------------------------------------------------
    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        elif not self._quiet:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        if self._bar is not None:
            self._bar.stop()
        if self._ticker is not None:
            self._ticker.join()


def _bar(progress: Progress) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar
    from rich.text import Text

    class Waiting(ProgressColumn):
        """Rendered on every refresh (ten times a second): the countdown moves on its own."""

        def render(self, task: Any) -> Text:
            return Text(progress.waiting_text(), style="yellow")

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        Waiting(),
        console=Console(file=progress._stream),
        transient=True,
        redirect_stdout=False,
    )
    progress._task = bar.add_task(progress._mode, total=progress._total)
    return bar
