"""Bad input never reaches GitLab: every broken inventory of the corpus (tests/inventory/corpus, which
`validate` checks line by line) makes `plan` and `apply --yes` exit 1 with the same lines, one per
problem, naming file, line, column and field, and the sandbox records zero requests. Hostile input
(alias bombs, nesting thousands deep) is refused as quickly and cheaply as a typo: each command stays
within a time and memory bound set far above what a case takes, so that a loaded machine does not
trip it and a reader that expands or recurses does.

The commands run in-process (49 cases x 2 commands as subprocesses would take minutes on two cores);
`tests/engine/test_cli_convergence.py` runs the same path as a subprocess.
"""

from __future__ import annotations

import json
import re
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring
from typer.testing import CliRunner

from provisioner.cli import app
from tests.support import Sandbox, run_cli

CORPUS = Path(__file__).resolve().parents[1] / "inventory" / "corpus"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
SECONDS_PER_COMMAND = 2.0  # a case takes about 0.1 s; an alias bomb took a minute and all the memory
MEMORY_PER_COMMAND = 200 * 2**20


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaintextKeyring]:
    """A throwaway keyring in a temporary folder; never the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring-data"))
    previous = getattr(keyring.core, "_keyring_backend", None)
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = previous


def test_the_corpus_covers_what_the_issue_lists() -> None:
    assert len(CASES) >= 60
    for kind in (
        "yaml",
        "unknown",
        "wrong-types",
        "variable-keys",
        "masked",
        "blueprint",
        "duplicate-project",
    ):
        assert any(kind in name for name in CASES), kind
    for kind in ("bad-secret-references", "keyring-entry-missing", "access-levels", "include-cycle"):
        assert any(kind in name for name in CASES), kind
    for kind in (  # issue 19
        "alias-bomb",
        "nesting-too-deep",
        "nul-byte",
        "not-utf8",
        "yaml-tags",
        "include-outside-the-folder",
        "file-secret-outside-the-folder",
        "token-file-outside-the-folder",
        "file-secret-not-utf8",
        "environment-scope",
        "empty-protected-ref",
        "invalid-regexes",
        "description-too-long",
        "path-segments-dot",
        "job-token-allowlist",
        "blueprint-vars-without-blueprint",
        "strict-types",
        "coverage-exclude-outside-its-group",  # issue 12
    ):
        assert any(kind in name for name in CASES), kind


@pytest.mark.parametrize("name", CASES)
def test_broken_input_exits_1_with_one_line_per_problem_and_sends_nothing(
    name: str,
    sandbox: Sandbox,
    file_keyring: PlaintextKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CORPUS / name
    env = {"PROVISIONER_GITLAB_URL": sandbox.url, "PROVISIONER_TOKEN": sandbox.token}
    if (case / "env.json").exists():
        env.update(json.loads((case / "env.json").read_text()))
    if (case / "keyring.json").exists():
        for ref, value in json.loads((case / "keyring.json").read_text()).items():
            file_keyring.set_password(*ref.split("/", 1), value)
    monkeypatch.chdir(case)
    expected = (case / "expected.txt").read_text().splitlines()
    assert expected and all(re.match(r"[^: ]+:[1-9][0-9]*:[1-9][0-9]*: ", line) for line in expected)
    summary = f"{len(expected)} problem{'s' if len(expected) != 1 else ''} in the input; nothing was sent to GitLab."
    sandbox.reset_counters()

    # A read-only run goes on without a secret this machine does not have (its value is not verified):
    # --require-secrets makes that an input error again, as it always is for apply.
    for command in (["plan", "--require-secrets"], ["apply", "--yes"], ["check", "--require-secrets"]):
        tracemalloc.start()
        started = time.monotonic()
        try:
            result = CliRunner().invoke(app, [*command, "--inventory", "inventory.yaml"], env=env)
            seconds, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr.splitlines() == [*expected, summary], command
        assert result.stdout == ""
        assert "Traceback" not in result.output and "internal error" not in result.output
        assert seconds < SECONDS_PER_COMMAND, (command, seconds)
        assert peak < MEMORY_PER_COMMAND, (command, peak)

    assert sandbox.counters()["total"] == 0


TEAM_BLUEPRINT = """\
name: service
version: 2.1.0
description: A team's own blueprint with an input that has no default.
variables:
  owner_email:
    type: str
    description: Who answers for the service
    pattern: '^[^@ ]+@[^@ ]+$'
files:
  - path: OWNERS
    template: owners.j2
    policy: managed
"""


def test_missing_blueprint_variable_of_a_teams_own_catalogue_sends_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The corpus uses the shipped blueprint, whose inputs all have defaults; a team's may not.
    (A subprocess: the catalogue's location is read once, at import.)"""
    blueprint = tmp_path / "catalogue" / "service"
    (blueprint / "templates").mkdir(parents=True)
    (blueprint / "blueprint.yaml").write_text(TEAM_BLUEPRINT)
    (blueprint / "templates" / "owners.j2").write_text("{{ owner_email }}\n")
    (tmp_path / "inventory.yaml").write_text(
        "version: 1\nprojects:\n  platform/billing:\n    blueprint: service\n"
        "  platform/payments:\n    blueprint: service\n    blueprint_vars: {owner_email: not-an-email}\n"
    )
    env = {
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_BLUEPRINTS": str(tmp_path / "catalogue"),
    }
    sandbox.reset_counters()

    for command in (["plan"], ["apply", "--yes"]):
        result = run_cli(*command, env=env, cwd=tmp_path)
        assert result.returncode == 1, result.stdout + result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 3, lines
        assert lines[0].startswith(
            "inventory.yaml:3:3: projects.platform/billing.blueprint_vars.owner_email: "
        )
        assert "required by blueprint service: Who answers for the service" in lines[0]
        assert lines[1].startswith(
            "inventory.yaml:7:35: projects.platform/payments.blueprint_vars.owner_email: "
        )
        assert lines[2] == "2 problems in the input; nothing was sent to GitLab."
    assert sandbox.counters()["total"] == 0
