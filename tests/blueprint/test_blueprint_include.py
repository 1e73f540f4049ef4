"""The `include` policy of component mode (provisioner/blueprint/include.py and update.py): the
component's entry is the tool's, replaced where it stands; everything else in the file is the team's."""

from __future__ import annotations

import pytest

from provisioner.blueprint import (
    LOCK_PATH,
    FileAction,
    UnreadableFile,
    parse_lock,
    plan_files,
    render,
    sha256_text,
)
from provisioner.blueprint.component import ComponentRef, include_rendering, include_text
from provisioner.blueprint.include import apply_include
from provisioner.blueprint.lock import Lock, LockedFile

REF = "$CI_SERVER_FQDN/platform/ci/python-package"
V2 = include_text(
    ComponentRef("platform/ci", "python-package", "2.0.0"),
    {"signatures_package": "b-sig"},
    blueprint="python-package",
)


def edit(current: str) -> str | None:
    found = apply_include(".gitlab-ci.yml", current, V2)
    return None if found is None else found.text


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # among the team's own includes and jobs: only the entry's lines change
        (
            f"# ours\ninclude:\n  - local: extra.yml\n  - component: {REF}@1.0.0\n    inputs:\n"
            f"      signatures_package: b-sig\n      registry_project: '7'\n  - remote: https://x/y.yml\nlint:\n  script: [ruff]\n",
            f"# ours\ninclude:\n  - local: extra.yml\n  - component: {REF}@2.0.0\n    inputs:\n"
            '      signatures_package: "b-sig"\n  - remote: https://x/y.yml\nlint:\n  script: [ruff]\n',
        ),
        # another indentation is kept
        (
            f"include:\n    - component: {REF}@1.0.0\n      inputs: {{signatures_package: b-sig}}\njob: {{script: [x]}}\n",
            f'include:\n    - component: {REF}@2.0.0\n      inputs:\n        signatures_package: "b-sig"\njob: {{script: [x]}}\n',
        ),
        # include: as the entry itself becomes a list of one
        (
            f"include:\n  component: {REF}@1.0.0\njob: {{script: [x]}}\n",
            f'include:\n  - component: {REF}@2.0.0\n    inputs:\n      signatures_package: "b-sig"\njob: {{script: [x]}}\n',
        ),
        # Windows line endings stay
        (
            f"include:\r\n  - component: {REF}@1.0.0\r\nj: {{script: [x]}}\r\n",
            f'include:\r\n  - component: {REF}@2.0.0\r\n    inputs:\r\n      signatures_package: "b-sig"\r\nj: {{script: [x]}}\r\n',
        ),
        # another component, or none: not the tool's entry
        ("include:\n  - component: $CI_SERVER_FQDN/other/thing/python-package@1.0.0\n", None),
        ("test:\n  script: [pytest]\n", None),
    ],
)
def test_the_entry_is_replaced_where_it_stands(current, expected):
    assert edit(current) == expected


@pytest.mark.parametrize(
    ("current", "message"),
    [
        (f"include: [{{component: {REF}@1.0.0}}]\n", "flow list"),
        (f"include:\n  - {{component: {REF}@1.0.0}}\n", "flow style"),
        (f"include:\n  - component: {REF}@1.0.0\n  - component: {REF}@1.1.0\n", "2 times"),
        ("include: [\n", "not valid YAML"),
    ],
)
def test_what_cannot_be_edited_in_place_is_said(current, message):
    with pytest.raises(UnreadableFile, match=message):
        edit(current)


def rendering(version: str = "2.0.0"):
    inline = render("python-package", {}, project_path="platform/billing")
    return inline, include_rendering(inline, ComponentRef("platform/ci", "python-package", version))


def hashes_of(files: dict[str, str | None], *, lock: Lock | None = None) -> dict[str, str | None]:
    found = {path: sha256_text(text) if text is not None else None for path, text in files.items()}
    found[LOCK_PATH] = sha256_text(lock.to_text()) if lock is not None else None
    return found


def decision(plan, path: str = ".gitlab-ci.yml"):
    return next(d for d in plan.files if d.path == path)


def test_an_upgrade_changes_the_one_line_and_nothing_else():
    _, old = rendering("1.0.0")
    _, new = rendering("2.0.0")
    team = old.file(".gitlab-ci.yml").text + "lint:\n  script: [ruff check]\n"
    files = {f.path: f.text for f in old.files} | {".gitlab-ci.yml": team}
    written = plan_files(old, None, hashes_of(files), files).lock.content or ""
    recorded = parse_lock(written)
    assert ".gitlab-ci.yml" not in recorded.files  # known by its entry, not its hash
    plan = plan_files(new, recorded, hashes_of(files) | {LOCK_PATH: sha256_text(written)}, files)
    assert [(d.path, d.action) for d in plan.changes] == [(".gitlab-ci.yml", FileAction.UPDATE)]
    changed = decision(plan)
    assert changed.reason == "the component's include: version 1.0.0 → 2.0.0"
    assert changed.content == team.replace("python-package@1.0.0", "python-package@2.0.0")


def test_the_inline_pipeline_moves_into_the_component_unless_the_team_edited_it():
    inline, component = rendering()
    files = {f.path: f.text for f in inline.files}
    base = inline.file(".gitlab-ci.yml").text
    lock = Lock(
        "python-package",
        "2.0.0",
        {},
        {".gitlab-ci.yml": LockedFile("managed", sha256_text(base), sha256_text(base), base)},
    )
    moved = decision(plan_files(component, lock, hashes_of(files, lock=lock), files))
    assert (moved.action, moved.reason, moved.content) == (
        FileAction.UPDATE,
        "the pipeline moves into the component",
        component.file(".gitlab-ci.yml").text,
    )
    edited = {**files, ".gitlab-ci.yml": base + "extra:\n  script: [x]\n"}
    adopted = decision(plan_files(component, lock, hashes_of(edited, lock=lock), edited))
    assert adopted.action is FileAction.ADOPT  # the team's edits: a person decides, in a draft


def test_a_teams_own_pipeline_is_proposed_for_adoption_and_a_new_project_gets_the_include():
    _, component = rendering()
    own = {".gitlab-ci.yml": "test:\n  script: [make test]\n"}
    assert decision(plan_files(component, None, hashes_of(own), own)).action is FileAction.ADOPT
    created = decision(plan_files(component, None, hashes_of({}), {}))
    assert (created.action, created.content) == (FileAction.CREATE, component.file(".gitlab-ci.yml").text)
