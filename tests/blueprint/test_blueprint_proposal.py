"""What the files facet's merge requests say: the title by reason, and a description a reviewer acts on."""

from __future__ import annotations

from provisioner.blueprint import FilesPlan, paths_to_observe, plan_files, read_lock, render, sha256_text
from provisioner.blueprint.proposal import description, title
from tests.support import PYTHON_PACKAGE

MARKER = "<!-- provisioner-proposal: 0 -->"


def plan_over(files: dict[str, str]) -> FilesPlan:
    r = render("python-package", {}, project_path="team/app")
    hashes = {p: sha256_text(files[p]) if p in files else None for p in paths_to_observe(r)}
    return plan_files(r, read_lock(None), hashes, files)


def test_an_adoption_is_a_draft_that_says_which_jobs_go_and_shows_the_diff_fenced() -> None:
    own = "lint:\n  script:\n    - echo '````' && ruff check\ntest:\n  script: [pytest]\n"
    plan = plan_over({".gitlab-ci.yml": own})

    said = description(plan, "main", {".gitlab-ci.yml": own}, MARKER)

    assert title(plan) == f"Draft: Adopt blueprint {PYTHON_PACKAGE} (replaces .gitlab-ci.yml)"
    assert "  - jobs that go: `lint`" in said and "  - jobs replaced by the blueprint's: `test`" in said
    assert "jobs that come: `build`" in said
    assert "Nothing changes on `main` until this draft is marked ready and merged" in said
    # The team's text holds four backticks: the fence is longer, so the diff cannot end it early.
    assert "\n`````diff\n" in said and "\n`````\n" in said
    assert said.rstrip().endswith(MARKER)


def test_a_plain_proposal_is_no_draft() -> None:
    plan = plan_over({})
    assert title(plan) == f"Apply blueprint {PYTHON_PACKAGE}"
    said = description(plan, "main", {}, MARKER)
    assert "does not take pushes from the tool's token" in said and "Adoption" not in said
