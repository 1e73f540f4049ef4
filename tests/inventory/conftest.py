from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring

WriteFiles = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write files (dedented) under a temporary folder; return the path of the first one."""

    def write(files: dict[str, str]) -> Path:
        paths = []
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
            paths.append(path)
        return paths[0]

    return write


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaintextKeyring]:
    """A real keyring backend storing in a temporary folder; never the user's keyring."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring-data"))
    previous = getattr(keyring.core, "_keyring_backend", None)
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = previous


def no_blueprint_problems(name: str, variables: object, project_path: str) -> list[tuple[str, str]]:
    return []
