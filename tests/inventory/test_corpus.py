"""Broken inventories: `provisioner validate` exits 1 with exactly the expected problem lines.

Each folder under corpus/ holds an `inventory.yaml` (plus included and secret files), `expected.txt`
(the problem lines, in order), and optionally `env.json` (environment variables to set) and
`keyring.json` ("SERVICE/NAME": value entries stored first in a throwaway file keyring).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.report.text import plural

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


def run_validate(case: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }
    env_file = case / "env.json"
    if env_file.exists():
        env.update(json.loads(env_file.read_text()))
    keyring_file = case / "keyring.json"
    if keyring_file.exists():
        store = "import json, sys, keyring\nfor ref, value in json.load(sys.stdin).items():\n"
        store += "    keyring.set_password(*ref.split('/', 1), value)\n"
        subprocess.run(
            [sys.executable, "-c", store], input=keyring_file.read_text(), env=env, check=True, text=True
        )
    command = [sys.executable, "-m", "provisioner", "validate", "--inventory", "inventory.yaml"]
    return subprocess.run(command, cwd=case, env=env, capture_output=True, text=True, timeout=60)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("name", CASES)
def test_broken_inventory_is_reported(name: str, tmp_path: Path) -> None:
    case = CORPUS / name
    result = run_validate(case, tmp_path)

    expected = (case / "expected.txt").read_text().splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    summary = f"{plural(len(expected), 'problem')} in the input; nothing was sent to GitLab."
    assert result.stderr.splitlines() == [*expected, summary]
    assert result.stdout == ""
    for secret in _secret_values(case):
        assert secret not in result.stderr


def _secret_values(case: Path) -> list[str]:
    values: list[str] = []
    for name in ("env.json", "keyring.json"):
        if (case / name).exists():
            values += json.loads((case / name).read_text()).values()
    values += [
        p.read_bytes().decode("utf-8", "replace").strip()
        for p in case.rglob("secrets/*")
        if p.is_file() and not p.is_symlink()
    ]
    return [value for value in values if value]
