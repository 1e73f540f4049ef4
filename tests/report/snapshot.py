"""Snapshots of output as a user sees it, normalised for what changes from run to run (the sandbox's
port, times and durations, the test's folder). `PROVISIONER_UPDATE_SNAPSHOTS=1` rewrites them; the diff
of tests/report/snapshots/ is then the change of output to review."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

FOLDER = Path(__file__).parent / "snapshots"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
_VARIES = [
    (re.compile(r"http://127\.0\.0\.1:\d+"), "http://gitlab.test"),
    (re.compile(r"\b\d+(\.\d+)? s\b|\b\d+ min \d+ s\b|\b\d+ h \d+ min\b"), "<duration>"),
    (re.compile(r"\d+ requests and"), "<n> requests and"),
]


def normalised(text: str, *folders: Path) -> str:
    for folder in folders:
        text = text.replace(folder.as_uri(), "file://<folder>").replace(str(folder), "<folder>")
    for pattern, replacement in _VARIES:
        text = pattern.sub(replacement, text)
    return text


def plain(text: str) -> str:
    return ANSI.sub("", text)


def assert_matches(name: str, text: str) -> None:
    path = FOLDER / f"{name}.txt"
    if os.environ.get("PROVISIONER_UPDATE_SNAPSHOTS"):
        FOLDER.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if text != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "now")
        )
        raise AssertionError(
            f"output differs from {path} (PROVISIONER_UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}"
        )
