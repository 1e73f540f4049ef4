"""check --html: one self-contained page (no network, no external asset), the same display-safe data
as the other reports, escaped; and, in a real headless browser, a page that loads without a console
error, whose filters work, with a screenshot (docs/compliance-report.png is one)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from provisioner import secrets
from provisioner.model import Action, Change, Problem, ProjectResult, RunResult
from provisioner.report import html_report, trend
from tests.report.browser import browser
from tests.support import ROOT, Sandbox, run_cli

HOSTILE = "<script>alert(1)</script>"


def test_every_value_is_escaped_and_a_link_is_only_ever_http() -> None:
    run = RunResult(
        "check",
        (
            ProjectResult(
                "a/b",
                planned=(
                    Change(
                        "variables",
                        f"variable {HOSTILE}",
                        Action.UPDATE,
                        {"description": HOSTILE},
                        {"description": "x"},
                    ),
                    Change(
                        "files", "file a", Action.AWAITING, None, {"merge_request": "javascript:alert(1)"}
                    ),
                    Change("files", "file b", Action.AWAITING, None, {"merge_request": "https://g/mr/2"}),
                ),
                problems=(Problem("a/b", "runners", f"<img src=x onerror=alert(2)> {HOSTILE}"),),
                facets=("variables", "files", "runners"),
            ),
        ),
    )
    page = html_report.render(run)
    assert HOSTILE not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page and 'href="https://g/mr/2"' in page
    # Self-contained: the only scripts and styles are inline, nothing is loaded from anywhere.
    assert not re.search(r"<(link|img|iframe)\b|<[^>]*\bsrc=|@import|url\(", page)
    assert "default-src 'none'" in page


def test_a_secret_is_scrubbed_before_it_is_escaped() -> None:
    value = "s3cret&<value>-2f9c"  # escaped, it would no longer match the scrubber
    secrets.remember(value)
    diff = f"--- a/cfg\n+++ b/cfg\n-token: {value}\n+token: x\n"
    run = RunResult(
        "check",
        (ProjectResult("a/b", planned=(Change("files", "file cfg", Action.UPDATE, None, {}, diff),)),),
    )
    page = html_report.render(run)
    assert "s3cret" not in page and "(sensitive)" in page


def _world(sandbox: Sandbox, workdir: Path) -> dict[str, str]:
    """The demo inventory applied, one project that cannot be found, then drift in two steps."""
    shutil.copytree(ROOT / "demo", workdir / "demo")
    inventory = (ROOT / "inventory.yaml").read_text() + "  platform/retired: {}\n"
    (workdir / "inventory.yaml").write_text(inventory)
    env = {"PROVISIONER_GITLAB_URL": sandbox.url, "PROVISIONER_TOKEN": sandbox.token}
    env["PROVISIONER_LOG_FILE"] = str(workdir / "provisioner.log")
    assert run_cli("apply", "--yes", env=env, cwd=workdir).returncode == 1  # the retired project
    sandbox.api.put("/projects/platform%2Fbilling", json={"build_timeout": 7200})
    first = run_cli("check", "--json", "previous.json", env=env, cwd=workdir)
    assert first.returncode == 1, first.stderr
    sandbox.api.delete("/projects/data%2Freports/protected_tags/v%2A")
    sandbox.api.put("/projects/data%2Fwarehouse", json={"ci_default_git_depth": 50})
    return env


def test_the_report_in_a_headless_browser(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _world(sandbox, tmp_path)
    check = run_cli(
        "check",
        "--html",
        "report.html",
        "--json",
        "report.json",
        "--baseline",
        "previous.json",
        env=env,
        cwd=tmp_path,
    )
    assert check.returncode == 1, check.stdout + check.stderr  # the retired project is an error
    report = json.loads((tmp_path / "report.json").read_text())
    statuses = {p["project"]: p["status"] for p in report["projects"]}
    assert statuses["platform/retired"] == "failed" and statuses["platform/payments"] == "awaiting"
    before = len(trend.load_baseline(tmp_path / "previous.json"))  # all still there, none fixed
    assert report["trend"] == report["trend"] | {"new": 2, "persisting": before, "fixed": 0}

    with browser(tmp_path / "profile") as page:
        page.send(
            "Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False
        )
        page.send("Page.navigate", url=(tmp_path / "report.html").as_uri())
        page.wait_for("Page.loadEventFired")

        def shown() -> list[str]:
            rows = "[...document.querySelectorAll('tbody.project')].filter(b => !b.hidden)"
            return list(page.evaluate(f"{rows}.map(b => b.querySelector('td').textContent)"))

        def choose(select: str, value: str) -> None:
            page.evaluate(
                f"(() => {{ const s = document.getElementById({select!r}); s.value = {value!r};"
                " s.dispatchEvent(new Event('change')); })()"
            )

        assert sorted(shown()) == sorted(statuses)
        choose("status", "drift")
        assert sorted(shown()) == sorted(p for p, s in statuses.items() if s == "drift")
        assert (
            page.evaluate("document.getElementById('shown').textContent")
            == f"{len(shown())} of {len(statuses)}"
        )
        choose("status", "all")
        choose("group", "data")
        assert sorted(shown()) == sorted(p for p in statuses if p.startswith(("data/", "group data")))
        choose("group", "all")
        page.evaluate("document.getElementById('only-new').click()")
        assert sorted(shown()) == ["data/reports", "data/warehouse"]  # what drifted since previous.json
        page.evaluate("document.getElementById('only-new').click()")
        page.evaluate("document.querySelector('[data-filter-status=\"failed\"]').click()")  # a total
        assert shown() == ["platform/retired"]
        choose("status", "all")

        # Each finding opens on a readable diff.
        billing = "[...document.querySelectorAll('tbody.project')].find(b => b.textContent.includes('platform/billing'))"
        page.evaluate(f"{billing}.querySelector('details').open = true")
        opened = page.evaluate(f"{billing}.querySelector('details[open]').innerText")
        assert "build_timeout: GitLab has 7200; the inventory wants 3600" in opened
        assert page.evaluate(f"{billing}.querySelector('details[open] .fields').offsetHeight") > 0

        assert page.errors() == []
        assert page.requests() == [(tmp_path / "report.html").as_uri()]  # nothing from the network
        shot = page.screenshot(tmp_path / "report.png")
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 20_000
    if os.environ.get("PROVISIONER_UPDATE_SCREENSHOT"):
        (ROOT / "docs" / "compliance-report.png").write_bytes(shot)
