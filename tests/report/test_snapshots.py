"""plan, apply and check of the demo inventory on the sandbox, as a user sees them, colour off and on
(snapshots in tests/report/snapshots/). The demo's own snapshot is in tests/test_demo.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.report.snapshot import assert_matches, normalised, plain
from tests.support import ROOT, Sandbox, run_cli


def test_plan_apply_check_as_a_user_sees_them(sandbox: Sandbox, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    shutil.copy(ROOT / "inventory.yaml", tmp_path / "inventory.yaml")
    base = {"PROVISIONER_GITLAB_URL": sandbox.url, "PROVISIONER_TOKEN": sandbox.token}
    base["PROVISIONER_LOG_FILE"] = str(tmp_path / "provisioner.log")

    def run(name: str, *args: str, colour: bool = False, code: int = 0) -> subprocess.CompletedProcess[str]:
        env = {**base, **({"FORCE_COLOR": "1"} if colour else {"NO_COLOR": "1", "FORCE_COLOR": "1"})}
        done = run_cli(*args, env=env, cwd=tmp_path)
        assert done.returncode == code, done.stdout + done.stderr
        assert ("\x1b[" in done.stdout) == colour  # NO_COLOR wins over FORCE_COLOR
        assert_matches(name, normalised(done.stdout, tmp_path))
        return done

    plan = run("plan", "plan")
    coloured = run("plan-colour", "plan", colour=True)
    assert normalised(plain(coloured.stdout)) == normalised(plan.stdout)
    apply = run("apply", "apply", "--yes")
    # What went into a merge request is said in the same run, with its URL, apart from what was written.
    assert f"platform/payments  {sandbox.url}/platform/payments/-/merge_requests/1" in apply.stdout
    run("apply-again", "apply", "--yes", colour=True)
    sandbox.api.put("/projects/platform%2Fbilling", json={"build_timeout": 7200})
    sandbox.api.delete("/projects/data%2Freports/variables/REPORTS_API_KEY")
    run("check", "check", code=2)
    run("check-colour", "check", colour=True, code=2)
    run("repair-colour", "apply", "--yes", colour=True)
