"""The files facet's decisions, over a repository kept in a dict: hashes first, content only when needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from provisioner.blueprint import (
    LOCK_PATH,
    TRAILER,
    ContentMissing,
    Enforce,
    FileAction,
    FilesPlan,
    LockError,
    Rendering,
    UnreadableFile,
    commit_message,
    contents_needed,
    paths_to_observe,
    plan_files,
    read_lock,
    render,
    sha256_text,
    unified_diff,
)
from tests.support import PYTHON_PACKAGE

PROJECT = "platform/demo-pkg"


@dataclass
class Repo:
    """A repository as the files facet sees it: hashes are free, each download is counted."""

    files: dict[str, str] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)

    def plan(self, rendering: Rendering, *, for_display: bool = False) -> FilesPlan:
        hashes = {
            p: sha256_text(self.files[p]) if p in self.files else None for p in paths_to_observe(rendering)
        }
        lock = read_lock(self.download(LOCK_PATH) if hashes[LOCK_PATH] else None)
        needed = contents_needed(rendering, lock, hashes, for_display=for_display)
        return plan_files(rendering, lock, hashes, {p: self.download(p) for p in needed})

    def apply(self, rendering: Rendering) -> FilesPlan:
        plan = self.plan(rendering)
        for decision in plan.changes:
            assert decision.content is not None
            self.files[decision.path] = decision.content
        return plan

    def download(self, path: str) -> str:
        self.downloads.append(path)
        return self.files[path]


def actions(plan: FilesPlan) -> dict[str, str]:
    return {d.path: d.action.value for d in plan.files if d.is_change}


def rendering(
    variables: dict[str, Any] | None = None, root: Path | None = None, enforce: Enforce = None
) -> Rendering:
    if root is None:
        return render("python-package", variables or {}, project_path=PROJECT, enforce=enforce)
    return render("python-package", variables or {}, project_path=PROJECT, root=root, enforce=enforce)


def new_version(
    root: Path, version: str, old: str, new: str, template: str = "gitlab-ci.yml.j2"
) -> Rendering:
    """The blueprint as a later release of the tool ships it: `old` replaced by `new` in a template."""
    folder = root / "python-package"
    manifest = folder / "blueprint.yaml"
    current = f"version: {PYTHON_PACKAGE.rsplit(' ', 1)[1]}\n"
    assert current in manifest.read_text()
    manifest.write_text(manifest.read_text().replace(current, f"version: {version}\n"))
    path = folder / "templates" / template
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    return rendering(root=root)


@pytest.fixture
def repo() -> Repo:
    applied = Repo()
    applied.apply(rendering())
    applied.downloads.clear()
    return applied


def test_an_empty_repository_gets_every_file_and_a_lock() -> None:
    empty = Repo()
    plan = empty.apply(rendering())
    assert actions(plan) == {
        ".gitlab-ci.yml": "create",
        "ci/constraints.txt": "create",
        "ci/release.py": "create",
        "pyproject.toml": "create",
        "README.md": "create",
        "src/demo_pkg/__init__.py": "create",
        "tests/test_smoke.py": "create",
        ".gitignore": "create",
        LOCK_PATH: "create",
    }
    assert empty.downloads == []
    lock = read_lock(empty.files[LOCK_PATH])
    assert (
        lock is not None
        and lock.blueprint == "python-package"
        and f"{lock.blueprint} {lock.version}" == PYTHON_PACKAGE
    )
    assert lock.variables["import_name"] == "demo_pkg"
    assert lock.files[".gitlab-ci.yml"].base == empty.files[".gitlab-ci.yml"]
    assert lock.files["pyproject.toml"].base is None  # managed-keys needs no merge base


def test_apply_twice_changes_nothing_and_downloads_only_the_lock(repo: Repo) -> None:
    plan = repo.plan(rendering())
    assert plan.changes == ()
    assert repo.downloads == [LOCK_PATH]


def test_team_edit_to_a_team_owned_part_of_pyproject_survives_reapply(repo: Repo) -> None:
    edited = repo.files["pyproject.toml"].replace(
        "dependencies = []", 'dependencies = ["requests>=2"]  # ours'
    )
    edited += "\n[tool.black]\nline-length = 100\n"
    repo.files["pyproject.toml"] = edited
    plan = repo.apply(rendering())
    assert plan.changes == ()  # not even the lock: a team's edit is no reason to commit
    assert repo.files["pyproject.toml"] == edited
    assert "pyproject.toml" in repo.downloads


def test_team_edit_to_a_tool_owned_key_is_reverted(repo: Repo) -> None:
    original = repo.files["pyproject.toml"]
    repo.files["pyproject.toml"] = original.replace('"hatch-vcs>=0.4"', '"hatch-vcs>=0.3"')
    plan = repo.apply(rendering())
    assert actions(plan) == {"pyproject.toml": "update"}  # back to what the lock records: lock unchanged
    assert repo.files["pyproject.toml"] == original
    assert repo.plan(rendering()).changes == ()


def test_an_untouched_managed_file_takes_a_blueprint_update_without_downloading_it(
    repo: Repo, blueprint_root: Path
) -> None:
    updated = new_version(blueprint_root, "1.1.0", "--cov-report=term", "--cov-report=term-missing")
    plan = repo.apply(updated)
    assert actions(plan) == {".gitlab-ci.yml": "update", LOCK_PATH: "update"}
    assert repo.downloads == [LOCK_PATH]
    assert repo.files[".gitlab-ci.yml"] == updated.file(".gitlab-ci.yml").text
    lock = read_lock(repo.files[LOCK_PATH])
    assert lock is not None and lock.version == "1.1.0"
    assert repo.plan(updated).changes == ()


def test_blueprint_update_merges_cleanly_into_a_team_edit(repo: Repo, blueprint_root: Path) -> None:
    team_job = "\ndocs:\n  stage: test\n  script: [make docs]\n"
    repo.files[".gitlab-ci.yml"] += team_job
    assert repo.plan(rendering()).changes == ()  # an edit alone is kept, not reverted
    updated = new_version(blueprint_root, "1.1.0", "--cov-report=term", "--cov-report=term-missing")
    plan = repo.apply(updated)
    [ci] = [d for d in plan.changes if d.path == ".gitlab-ci.yml"]
    assert ci.action is FileAction.UPDATE and ci.locally_modified
    assert repo.files[".gitlab-ci.yml"] == updated.file(".gitlab-ci.yml").text + team_job
    assert repo.plan(updated).changes == ()


def test_a_conflicting_edit_produces_markers_and_records_the_new_base(
    repo: Repo, blueprint_root: Path
) -> None:
    repo.files[".gitlab-ci.yml"] = repo.files[".gitlab-ci.yml"].replace(
        "--cov-report=term ", "--cov-report=html "
    )
    updated = new_version(blueprint_root, "1.1.0", "--cov-report=term ", "--cov-report=term-missing ")
    plan = repo.plan(updated)
    assert plan.conflicted
    [ci] = [d for d in plan.changes if d.path == ".gitlab-ci.yml"]
    assert ci.action is FileAction.CONFLICT and ci.content is not None
    assert (
        "<<<<<<< blueprint .gitlab-ci.yml\n" in ci.content
        and ">>>>>>> current .gitlab-ci.yml\n" in ci.content
    )
    assert "--cov-report=term-missing" in ci.content and "--cov-report=html" in ci.content
    assert plan.lock.path == LOCK_PATH and plan.lock.content is not None
    lock = read_lock(plan.lock.content)
    assert lock is not None and lock.files[".gitlab-ci.yml"].base == updated.file(".gitlab-ci.yml").text


def test_a_clean_merge_that_breaks_the_yaml_is_not_taken_for_an_update(
    repo: Repo, blueprint_root: Path
) -> None:
    """Both sides add `interruptible` to the test job, lines apart: merge3 sees no conflict."""
    ci = repo.files[".gitlab-ci.yml"]
    job = ci.index("\ntest:\n")
    script = ci.index("\n  script:", job)
    repo.files[".gitlab-ci.yml"] = ci[:script] + "\n  interruptible: false" + ci[script:]
    updated = new_version(blueprint_root, "1.2.0", "\ntest:\n", "\ntest:\n  interruptible: true\n")

    plan = repo.plan(updated)

    [decision] = [d for d in plan.changes if d.path == ".gitlab-ci.yml"]
    assert decision.action is FileAction.INVALID and plan.needs_person and not plan.conflicted
    assert decision.reason.startswith("merged with the team's edits, it is broken: not valid YAML at line")
    assert 'duplicate key "interruptible"' in decision.reason
    assert decision.content is not None and "interruptible: true" in decision.content  # what is proposed


def test_conflict_markers_left_on_the_default_branch_are_not_a_team_edit(
    repo: Repo, blueprint_root: Path
) -> None:
    """A conflict proposal merged without resolving it: the next run must not keep it as the team's."""
    repo.files[".gitlab-ci.yml"] = repo.files[".gitlab-ci.yml"].replace(
        "--cov-report=term ", "--cov-report=html "
    )
    updated = new_version(blueprint_root, "1.1.0", "--cov-report=term ", "--cov-report=term-missing ")
    proposed = repo.plan(updated)
    for decision in proposed.changes:  # merged as it was, markers and all
        assert decision.content is not None
        repo.files[decision.path] = decision.content

    with pytest.raises(
        UnreadableFile, match=r"\.gitlab-ci\.yml: .*conflict marker at line \d+ on the default"
    ):
        repo.plan(updated)


def test_an_enforced_file_is_restored_whatever_the_team_changed(repo: Repo) -> None:
    enforced = rendering(enforce=True)
    assert repo.plan(enforced).changes == ()  # switching enforcement on is no reason to commit
    original = repo.files[".gitlab-ci.yml"]
    repo.files[".gitlab-ci.yml"] = "test:\n  script: [echo all good]\n"
    assert repo.plan(rendering()).changes == ()  # kept, under the default policy

    plan = repo.apply(enforced)

    assert actions(plan) == {".gitlab-ci.yml": "update"}  # the lock is unchanged: same rendering
    [ci] = plan.changes
    assert ci.policy == "enforced" and ci.locally_modified
    assert ci.reason == "enforced: differs from the rendering; restored"
    assert repo.files[".gitlab-ci.yml"] == original
    assert repo.plan(enforced).changes == ()


def test_an_enforced_file_takes_blueprint_updates(repo: Repo, blueprint_root: Path) -> None:
    updated = new_version(blueprint_root, "1.1.0", "--cov-report=term", "--cov-report=term-missing")
    enforced = rendering(root=blueprint_root, enforce=[".gitlab-ci.yml"])
    assert updated.file(".gitlab-ci.yml").text == enforced.file(".gitlab-ci.yml").text
    plan = repo.apply(enforced)
    assert actions(plan) == {".gitlab-ci.yml": "update", LOCK_PATH: "update"}
    lock = read_lock(repo.files[LOCK_PATH])
    assert lock is not None and lock.files[".gitlab-ci.yml"].policy == "managed"  # a base kept, as before
    assert lock.files[".gitlab-ci.yml"].base == enforced.file(".gitlab-ci.yml").text


def test_an_enforced_file_that_the_team_already_has_is_still_adopted() -> None:
    plan = Repo({".gitlab-ci.yml": "test:\n  script: [make]\n"}).plan(rendering(enforce=True))
    assert {d.path: d.action for d in plan.changes}[".gitlab-ci.yml"] is FileAction.ADOPT


def test_seed_files_are_never_overwritten_nor_planted_again(repo: Repo) -> None:
    repo.files["README.md"] = "# ours\n"
    del repo.files["tests/test_smoke.py"]
    del repo.files[".gitignore"]
    assert repo.plan(rendering()).changes == ()
    assert repo.files["README.md"] == "# ours\n"


def test_an_existing_project_gets_the_pipeline_but_no_sample_package() -> None:
    existing = Repo(
        {"pyproject.toml": '[project]\nname = "billing"\nversion = "2.0"\n', ".gitlab-ci.yml": "x: 1\n"}
    )
    plan = existing.apply(rendering())
    assert actions(plan) == {
        ".gitlab-ci.yml": "adopt",  # the team's own pipeline: replaced only through a draft merge request
        "ci/constraints.txt": "create",
        "ci/release.py": "create",
        "pyproject.toml": "update",
        ".gitignore": "create",
        LOCK_PATH: "create",
    }
    assert plan.adopting and not plan.needs_person
    [ci] = [d for d in plan.files if d.path == ".gitlab-ci.yml"]
    assert ci.reason == "the project's own file, not rendered by the tool before"
    doc = tomlkit.parse(existing.files["pyproject.toml"])
    assert doc["project"]["version"] == "2.0" and "dynamic" not in doc["project"]
    assert existing.plan(rendering()).changes == ()


def test_changing_a_variable_updates_the_files_and_the_lock(repo: Repo) -> None:
    plan = repo.apply(rendering({"signing": "off"}))
    assert actions(plan) == {".gitlab-ci.yml": "update", LOCK_PATH: "update"}
    assert "sign:" not in repo.files[".gitlab-ci.yml"]
    lock = read_lock(repo.files[LOCK_PATH])
    assert lock is not None and lock.variables["signing"] == "off"


def test_display_mode_downloads_what_will_be_overwritten(repo: Repo, blueprint_root: Path) -> None:
    updated = new_version(blueprint_root, "1.1.0", "--cov-report=term", "--cov-report=term-missing")
    repo.plan(updated, for_display=True)
    assert repo.downloads == [LOCK_PATH, ".gitlab-ci.yml"]


def test_plan_files_refuses_to_guess_without_a_needed_content(repo: Repo) -> None:
    repo.files["pyproject.toml"] += "# edited\n"
    r = rendering()
    hashes = {p: sha256_text(repo.files[p]) if p in repo.files else None for p in paths_to_observe(r)}
    with pytest.raises(ContentMissing, match=r"pyproject\.toml"):
        plan_files(r, read_lock(repo.files[LOCK_PATH]), hashes, {})


def test_a_hand_edited_lock_is_an_error_not_a_fresh_start(repo: Repo) -> None:
    with pytest.raises(LockError, match="files"):
        read_lock(repo.files[LOCK_PATH].replace("files:", "filez:"))
    with pytest.raises(LockError, match="not YAML"):
        read_lock("a: [\n")


def test_commit_message_names_blueprint_and_version_in_a_trailer() -> None:
    plan = Repo().plan(rendering())
    message = commit_message(plan)
    assert message.startswith(f"Apply blueprint {PYTHON_PACKAGE}\n\n")
    assert message.endswith(f"\n\n{TRAILER}: {PYTHON_PACKAGE}\n")
    assert "create .gitlab-ci.yml: missing" in message


def test_unified_diff_for_plans() -> None:
    assert unified_diff("a.txt", "x\n", "x\n") == ""
    assert unified_diff("a.txt", None, "x\n") == "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+x\n"
    assert (
        unified_diff("a.txt", "x\ny\n", "x\nz\n") == "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n"
    )
    assert "\\ No newline at end of file\n" in unified_diff("a.txt", "x", "x\n")
