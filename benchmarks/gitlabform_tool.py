"""GitLabForm for the estate benchmark: installed on first use into its own venv under benchmarks/.cache/.

GitLabForm needs Python >= 3.12, which need not be the interpreter running the benchmark: any one
found on PATH (`python3.12`, `python3.13`, ...) or under pyenv will do. The release is pinned, so that
two runs of the benchmark compare against the same GitLabForm. Whatever goes wrong here raises
`Unavailable` with the reason, and the benchmark still reports provisioner's own figures.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
# The newest release that installs here: 6.3.1 pins certifi==2026.10.23, which the package index
# this machine reaches does not have.
VERSION = "6.3.0"
MINIMUM_PYTHON = (3, 12)


class Unavailable(Exception):
    """GitLabForm cannot be installed or started here; the message says why."""


@dataclass(frozen=True)
class GitLabForm:
    python: str
    executable: str
    version: str

    def command(self, config: Path, *, noop: bool = False) -> list[str]:
        """[interpreter, program, args...], as `estate.timed` runs it."""
        flags = ["--noop"] if noop else []
        return [
            self.python,
            self.executable,
            "--skip-version-check",
            *flags,
            "-c",
            str(config),
            "ALL_DEFINED",
        ]


def pythons() -> Iterator[str]:
    """Interpreters that may be recent enough, the likeliest first."""
    if sys.version_info >= MINIMUM_PYTHON:
        yield sys.executable
    for minor in range(20, MINIMUM_PYTHON[1] - 1, -1):
        found = shutil.which(f"python3.{minor}")
        if found:
            yield found
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found_versions = [p for p in pyenv.glob("3.*/bin/python") if _release(p.parent.parent.name) is not None]
    yield from (
        str(p)
        for p in sorted(found_versions, key=lambda p: _release(p.parent.parent.name) or (), reverse=True)
    )


def _release(name: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", name)
    return tuple(int(part) for part in match.groups()) if match else None


def _usable(python: str) -> bool:
    """Recent enough and able to make a venv (a pyenv shim without that version fails here too)."""
    check = f"import sys, venv; sys.exit(sys.version_info < {MINIMUM_PYTHON!r})"
    try:
        return subprocess.run([python, "-c", check], capture_output=True, timeout=60).returncode == 0
    except OSError:
        return False


def installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    answer = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('gitlabform'))"],
        capture_output=True,
        text=True,
    )
    return answer.stdout.strip() if answer.returncode == 0 else None


def install(version: str = VERSION) -> GitLabForm:
    """GitLabForm `version`, in a venv of its own, installed there on first use."""
    venv = CACHE / f"gitlabform-{version}"
    python = venv / "bin" / "python"
    executable = venv / "bin" / "gitlabform"
    if installed_version(python) != version or not executable.exists():
        base = next((p for p in pythons() if _usable(p)), None)
        if base is None:
            raise Unavailable("GitLabForm needs Python >= 3.12; none found on PATH or under pyenv")
        shutil.rmtree(venv, ignore_errors=True)  # a half-made one, from a run stopped mid-install
        try:
            _run([base, "-m", "venv", str(venv)], f"{base} -m venv")
            _run(
                [str(python), "-m", "pip", "install", "-q", f"gitlabform=={version}"],
                f"pip install gitlabform=={version}",
            )
        except Unavailable:
            shutil.rmtree(venv, ignore_errors=True)
            raise
    started = subprocess.run([str(python), str(executable), "--version"], capture_output=True, text=True)
    if started.returncode != 0:
        raise Unavailable(
            f"gitlabform {version} does not start: {_last_line(started.stderr or started.stdout)}"
        )
    return GitLabForm(str(python), str(executable), version)


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise Unavailable(f"{what} failed (exit {done.returncode}): {_last_line(done.stderr or done.stdout)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["no output"])[-1].strip()
