"""Files the tool writes: a symbolic link planted where it writes does no damage; private files are 0600
from the first byte; a failed write leaves the old file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from provisioner import safe_files
from provisioner.errors import OutputError

VICTIM = "the user's own file, which must survive\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir()
    path.write_text(VICTIM)
    path.chmod(0o644)
    return path


def test_links_planted_at_the_old_temporary_names_are_not_followed(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "tokens"
    folder.mkdir()
    (folder / ".runner.token.tmp").symlink_to(victim)  # the fixed name the token writer used
    dangling = tmp_path / "elsewhere" / "created-by-the-link"
    (folder / ".deploy.token.tmp").symlink_to(dangling)

    safe_files.write_text(folder / "runner.token", "glrt-secret\n", private=True)
    safe_files.write_text(folder / "deploy.token", "gldt-secret\n", private=True)

    assert victim.read_text() == VICTIM and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not dangling.exists()
    assert (folder / "runner.token").read_text() == "glrt-secret\n"


def test_a_link_at_the_target_is_refused_and_left_as_it_is(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "plan.json"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        safe_files.write_text(link, "{}", private=True)
    with pytest.raises(OutputError, match="symbolic link"):
        safe_files.open_appending(link)
    assert link.is_symlink() and victim.read_text() == VICTIM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "plan.json"]  # no temporary left


def test_the_temporary_file_has_a_random_name_and_is_created_exclusively(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    staged = [safe_files.stage(target, "x") for _ in range(3)]
    assert len({path.name for path in staged}) == 3
    assert all(path.parent == tmp_path and path.name.startswith(".report.json.") for path in staged)


def test_private_files_are_0600_whatever_the_umask_and_others_keep_their_mode(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        safe_files.write_text(tmp_path / "report.xml", "<testsuites/>", private=True)
        with safe_files.open_appending(tmp_path / "provisioner.log") as log:
            log.write("line\n")
        kept = tmp_path / "inventory.yaml"
        kept.write_text("version: 1\n")
        kept.chmod(0o640)
        safe_files.write_text(kept, "version: 1\nprojects: {}\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.xml").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "provisioner.log").stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old plan")
    with pytest.raises(RuntimeError), safe_files.replacing(target, private=True) as handle:
        handle.write("half of a new pl")
        raise RuntimeError("disk full")
    assert target.read_text() == "old plan"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_folder_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "out.json").mkdir()
    with pytest.raises(OutputError, match="cannot write"):
        safe_files.write_text(tmp_path / "out.json", "{}")


def test_a_token_file_is_never_written_through_a_planted_link(tmp_path: Path, victim: Path) -> None:
    from provisioner.inventory.schema import TokenStore
    from provisioner.one_time_tokens import store_token

    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / ".gpu.token.tmp").symlink_to(victim)
    store_token(TokenStore(file="secrets/gpu.token"), "svc/name", "glrt-new-runner-token", str(tmp_path))
    assert victim.read_text() == VICTIM and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert (tmp_path / "secrets" / "gpu.token").read_text() == "glrt-new-runner-token\n"

    (tmp_path / "secrets" / "deploy.token").symlink_to(victim)
    with pytest.raises(OutputError):
        store_token(TokenStore(file="secrets/deploy.token"), "svc/name", "gldt-deploy-token", str(tmp_path))
    assert victim.read_text() == VICTIM
