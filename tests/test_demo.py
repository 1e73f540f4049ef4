"""The README's Quick start, line 1: `provisioner demo` plans, applies and checks inventory.yaml, on the
newest GitLab the sandbox serves (18.6 EE, the default) and on the oldest the tool supports (17.0 CE),
where what that version cannot honour is said to be unsupported and the check still passes."""

from __future__ import annotations

import pytest

from tests.support import ROOT, run_cli


@pytest.mark.parametrize(
    "server", [(), ("--gitlab-version", "17.0", "--edition", "ce")], ids=["18.6-ee", "17.0-ce"]
)
def test_demo_converges_and_the_second_apply_writes_nothing(server: tuple[str, ...]):
    result = run_cli("demo", *server, cwd=ROOT, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "second apply wrote 0 time(s)" in output
    assert "# the sandbox counted" in output and "and 0 writes" in output
    assert ("unsupported" in output.rsplit("$ provisioner check", 1)[1]) is bool(server)
    for secret_file in (ROOT / "demo" / "secrets").glob("*"):
        if secret_file.suffix != ".md":
            assert secret_file.read_text().strip() not in output
