"""Logging for the CLI: scrubbed of secret values on every handler, tracebacks to a file."""

from __future__ import annotations

import logging
from pathlib import Path

from provisioner.secrets import redact


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: object) -> str:
        return redact(super().formatException(ei))  # type: ignore[arg-type]


def setup(debug: bool, log_file: Path) -> Path | None:
    """stderr gets warnings (or everything with --debug); the log file gets debug and tracebacks."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError:
        return None
    file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
    file_handler.setFormatter(
        RedactingFormatter("%(asctime)s %(threadName)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(file_handler)
    for noisy in ("urllib3", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    return log_file
