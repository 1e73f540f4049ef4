"""The README's Quick start, line 1: `provisioner demo` plans, applies and checks inventory.yaml."""

from __future__ import annotations

from tests.support import ROOT, run_cli


def test_demo_converges_and_the_second_apply_writes_nothing():
    result = run_cli("demo", cwd=ROOT, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "second apply wrote 0 time(s)" in output
    assert "# the sandbox counted" in output and "and 0 writes" in output
    for secret_file in (ROOT / "demo" / "secrets").glob("*"):
        if secret_file.suffix != ".md":
            assert secret_file.read_text().strip() not in output
