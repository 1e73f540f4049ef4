"""Progress while a run works: a bar on a terminal, one plain line per project otherwise."""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from provisioner.model import ProjectResult
from provisioner.report.summary import status
from provisioner.secrets import redact


class Progress:
    def __init__(self, total: int, mode: str, *, quiet: bool = False) -> None:
        self._total = total
        self._mode = mode
        self._done = 0
        self._lock = threading.Lock()
        self._quiet = quiet
        self._bar = None
        if not quiet and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
                redirect_stdout=False,
            )
            self._task = self._bar.add_task(mode, total=total)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, result: ProjectResult) -> None:
        with self._lock:
            self._done += 1
            if self._quiet:
                return
            if self._bar is not None:
                self._bar.update(self._task, advance=1, description=f"{self._mode} {result.project}")
                return
            state = status(result, self._mode)
            count = len(result.applied) if self._mode == "apply" else len(result.pending)
            line = f"[{self._done}/{self._total}] {result.project}: {state}"
            if count:
                line += f" ({count} change{'s' if count != 1 else ''})"
            print(redact(line), file=sys.stderr, flush=True)
