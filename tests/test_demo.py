"""The README's Quick start, line 1: `provisioner demo` plans, applies, applies again (zero writes),
drifts behind the tool's back, catches it with check (exit 2), repairs it, and ends with what to read
next, in under 80 lines (snapshots: tests/report/snapshots/demo*.txt, colour on, and off), on the
newest GitLab the sandbox serves (18.6 EE, the default) and on the oldest the tool supports (17.0 CE),
where what that version cannot honour is said to be unsupported and the loop still converges."""

from __future__ import annotations

from tests.report.snapshot import assert_matches, normalised, plain
from tests.support import ROOT, run_cli


def test_the_demo_teaches_the_loop_in_under_80_lines():
    result = run_cli("demo", cwd=ROOT, timeout=600, env={"FORCE_COLOR": "1"})
    output = plain(result.stdout + result.stderr)
    assert result.returncode == 0, output
    assert len(output.splitlines()) < 80
    assert "# the sandbox counted" in output and "requests and 0 writes" in output
    last = [line for line in output.splitlines() if line.startswith("demo succeeded: ")]
    assert last == [
        "demo succeeded: plan exit 0, apply exit 0, apply again exit 0, check exit 2, repair exit 0, "
        "check again exit 0; the second apply wrote 0 time(s)"
    ]
    report = ROOT / ".provisioner" / "demo" / "report.html"
    assert f"The same as a web page: {report.as_uri()}" in output
    assert "build_timeout: GitLab has 7200; the inventory wants 3600" in report.read_text()
    for section in ("Using it on a real GitLab", "The inventory"):
        assert f'"{section}"' in output and f"\n## {section}\n" in (ROOT / "README.md").read_text()
    assert "\x1b[" in result.stdout  # FORCE_COLOR reached every step
    assert_matches("demo-colour", normalised(result.stdout, ROOT))
    assert_matches("demo", normalised(plain(result.stdout), ROOT))


def test_the_demo_converges_on_the_oldest_supported_gitlab():
    result = run_cli("demo", "--gitlab-version", "17.0", "--edition", "ce", cwd=ROOT, timeout=600)
    output = plain(result.stdout + result.stderr)
    assert result.returncode == 0, output
    assert "Sandbox GitLab 17.0 CE" in output
    assert "the second apply wrote 0 time(s)" in output
    assert "needs GitLab" in output  # what 17.0 CE lacks is said, not drift
    for secret_file in (ROOT / "demo" / "secrets").glob("*"):
        if secret_file.suffix != ".md":
            assert secret_file.read_text().strip() not in output
