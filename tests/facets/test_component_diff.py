"""The component facet's diff, pure: the tag waits for the files or follows them, a tagged version is
never moved, the catalog where GitLab has one; and what a project in component mode is told about
the versions the component project has released."""

from __future__ import annotations

import dataclasses

import pytest

from provisioner.blueprint import LOCK_PATH, parse_lock, plan_files, sha256_text
from provisioner.errors import ProvisionerError
from provisioner.facets.component import ComponentObserved, component_rendering, diff_component
from provisioner.facets.files import FilesObserved
from provisioner.facets.files_component import version_notices
from provisioner.gitlab.repository import FileHead, MergeRequest
from provisioner.gitlab.tags import Tag
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Project
from provisioner.inventory.sections.component import ComponentSection
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action

EE = Version(18, 6, 0, "ee")
CONFIG = ComponentSection(blueprint="python-package", version="1.0.0")
SPEC = ProjectSpec("platform/ci-components", Project().model_copy(update={"component": CONFIG}))


def observed(
    *, written: bool = True, tag: bool = False, matches: bool = True, direct: bool = True, **more
) -> ComponentObserved:
    rendering = component_rendering(SPEC)
    heads = {f.path: FileHead(f.sha256, "c1") if written else None for f in rendering.files}
    heads[LOCK_PATH] = None
    lock = None
    if written:  # and the lock the tool wrote with them
        text = plan_files(
            rendering, None, {p: h.sha256 if h else None for p, h in heads.items()}, {}
        ).lock.content
        lock, heads[LOCK_PATH] = parse_lock(text or ""), FileHead(sha256_text(text or ""), "c1")
    files = FilesObserved(rendering, "main", False, heads, lock, {})
    found = Tag("1.0.0", "c1") if tag else None
    fields = {"catalog": True, "path": SPEC.path, "described": True} | more
    return ComponentObserved(files, found, matches if tag else None, direct, EE, **fields)


def summary(changes):
    return [(c.action, c.target) for c in changes]


def test_the_tag_follows_files_written_directly_and_waits_for_a_merge_request():
    direct = diff_component("component", CONFIG, observed(written=False))
    assert (Action.CREATE, "tag 1.0.0") in summary(direct)
    assert direct[-1].after == {"at": "the head of main, once it holds this version's files"}
    proposed = diff_component("component", CONFIG, observed(written=False, direct=False))
    assert (Action.AWAITING, "tag 1.0.0") in summary(proposed)


def test_an_open_merge_request_is_named_while_the_tag_waits():
    waiting = observed(written=False, direct=False)
    mr = MergeRequest(3, "https://gitlab.example/mr/3", None, None)
    waiting = dataclasses.replace(waiting, files=dataclasses.replace(waiting.files, merge_request=mr))
    (tag,) = [c for c in diff_component("component", CONFIG, waiting) if c.target == "tag 1.0.0"]
    assert tag.after == {"waits for": "the merge request with the files (https://gitlab.example/mr/3)"}


def test_nothing_to_do_once_the_version_is_tagged_and_listed():
    assert diff_component("component", CONFIG, observed(tag=True)) == []


def test_a_tagged_version_with_another_rendering_is_an_error():
    with pytest.raises(ProvisionerError, match=r"tag 1\.0\.0 already holds another rendering"):
        diff_component("component", CONFIG, observed(tag=True, matches=False))


def test_the_catalog_where_this_gitlab_has_one_and_a_description_it_needs():
    assert summary(diff_component("component", CONFIG, observed(tag=True, catalog=False))) == [
        (Action.CREATE, "CI/CD catalog project")
    ]
    old = dataclasses.replace(observed(tag=True), catalog=None, server=Version(16, 11, 0, "ee"))
    (finding,) = diff_component("component", CONFIG, old)
    assert (finding.action, finding.after["needs"]) == (Action.UNSUPPORTED, "needs GitLab 17.0")
    (note,) = diff_component("component", CONFIG, observed(tag=True, described=False))
    assert note.action is Action.UNMANAGED and "description" in note.after["note"]
    quiet = CONFIG.model_copy(update={"catalog": False})
    assert diff_component("component", quiet, observed(tag=True, catalog=None, described=False)) == []


def consumer(version: str) -> ProjectSpec:
    config = Project.model_validate(
        {"blueprint": "python-package", "blueprint_component": {"project": "platform/ci", "version": version}}
    )
    return ProjectSpec("platform/billing", config)


@pytest.mark.parametrize(
    ("pinned", "released", "expected"),
    [
        ("1.0.0", ("1.0.0",), None),
        ("1.0.0", ("1.0.0", "1.1.0-rc1"), None),  # a pre-release is no upgrade
        ("1.0.0", ("0.9.0", "1.0.0", "1.1.0"), {"pinned": "1.0.0", "newest": "1.1.0"}),
        ("1.2.0", ("1.0.0", "1.1.0"), {"pinned": "1.2.0"}),  # not released: its pipeline fails
        ("1.0.0", None, {"pinned": "1.0.0"}),  # no component project for this token
    ],
)
def test_a_project_is_told_about_its_pin(pinned, released, expected):
    notices = version_notices("files", consumer(pinned), released)
    if expected is None:
        assert notices == []
        return
    (notice,) = notices
    assert (notice.action, notice.target) == (Action.UNMANAGED, "component python-package")
    assert {k: v for k, v in notice.after.items() if k != "note"} == expected
