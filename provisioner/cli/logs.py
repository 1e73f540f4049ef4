"""Logging for the CLI: scrubbed of secret values on every handler, tracebacks to a file only."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from provisioner import safe_files
from provisioner.errors import OutputError
from provisioner.secrets import redact


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: object) -> str:
        return redact(super().formatException(ei))  # type: ignore[arg-type]


class _Ours:
    """Marks the handlers `setup` installs, so that it replaces them without touching anyone else's
    (a test runner's capture handlers, for one)."""


class _Console(logging.StreamHandler, _Ours):  # type: ignore[type-arg]
    pass


class _File(logging.FileHandler, _Ours):
    """Opened at the first record, so that a run with nothing to log leaves no file behind; created
    0600, never through a symbolic link (`safe_files.open_appending`)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.failed = False

    def _open(self) -> Any:
        if self.failed:
            return None
        try:
            return safe_files.open_appending(Path(self.baseFilename))
        except OutputError:  # no log file is no reason to fail the run; emit() skips a None stream
            self.failed = True
            return None

    def handleError(self, record: logging.LogRecord) -> None:
        # The default prints the record's message and arguments, unscrubbed, on stderr.
        self.failed = True


def _no_traceback(record: logging.LogRecord) -> bool:
    # A traceback on screen says nothing to a user; whoever logged it also says what happened, in one
    # line, and points at the log file.
    return not record.exc_info and not record.stack_info


def setup(debug: bool, log_file: Path) -> None:
    """stderr gets warnings (or everything with --debug) but never a traceback; the log file gets
    debug (or info) and tracebacks."""
    teardown()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    console = _Console()
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    console.addFilter(_no_traceback)
    file_handler = _File(log_file)
    file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
    file_handler.setFormatter(
        RedactingFormatter("%(asctime)s %(threadName)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(console)
    root.addHandler(file_handler)
    for noisy in ("urllib3", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)


def log_traceback(message: str) -> Path | None:
    """Log the exception being handled; the log file it went to, None when none could be written."""
    logging.getLogger("provisioner").exception(message)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _File) and handler.stream is not None and not handler.failed:
            handler.flush()
            return Path(handler.baseFilename)
    return None


def teardown() -> None:
    """Remove and close the handlers `setup` installed (the log file is flushed and closed)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Ours):
            root.removeHandler(handler)
            handler.close()
