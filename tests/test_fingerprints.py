"""Keyed fingerprints of secret values in saved plans (issue 19, item 6), and how a stale plan is named."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from provisioner import fingerprints
from provisioner.cli.saved_plan import first_difference, secret_values
from provisioner.errors import ConfigError
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import GroupSpec, ProjectSpec, ResolvedVariable
from provisioner.secrets import Secret, redact

VALUE = "pypi-AgEIcHlwaS5vcmc"


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv(fingerprints.KEY_ENV, raising=False)
    return tmp_path / "state" / "provisioner" / "plan.key"


def targets(value: str = VALUE) -> list[ProjectSpec | GroupSpec]:
    secret = ResolvedVariable("PYPI_TOKEN", Secret(value))
    scoped = ResolvedVariable("DEPLOY", Secret("deploy-" + value), environment_scope="production")
    return [
        ProjectSpec("platform/billing", Project(), variables=(secret, ResolvedVariable("PLAIN", "x"))),
        GroupSpec("data", variables=(scoped,)),
    ]


def test_the_key_is_made_once_private_and_kept(state: Path):
    key = fingerprints.plan_key()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600 and len(key) == 64
    assert fingerprints.plan_key() == key
    assert list(state.parent.iterdir()) == [state]  # the staging file is gone


def test_a_key_file_others_can_read_or_a_link_is_refused(state: Path, tmp_path: Path):
    fingerprints.plan_key()
    state.chmod(0o644)
    with pytest.raises(ConfigError, match="only you can read"):
        fingerprints.plan_key()
    state.unlink()
    elsewhere = tmp_path / "elsewhere.key"
    elsewhere.write_text("k" * 64)
    elsewhere.chmod(0o600)
    state.symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="cannot use the plan key"):
        fingerprints.plan_key()


def test_the_environment_key_is_used_when_set_never_shown_and_not_too_short(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(fingerprints.KEY_ENV, "short")
    with pytest.raises(ConfigError, match="at least 32"):
        fingerprints.plan_key()
    given = "a-ci-variable-of-forty-characters-123456"
    monkeypatch.setenv(fingerprints.KEY_ENV, given)
    assert fingerprints.plan_key() == given.encode()
    assert given not in redact(f"key: {given}")


def test_fingerprints_are_keyed_never_a_plain_hash_and_name_the_field():
    key = fingerprints.plan_key()
    found = fingerprints.of_values(key, secret_values(targets()))
    assert set(found) == {"platform/billing", "group data"}  # PLAIN is in the inventory's digest already
    assert set(found["group data"]) == {"group_variables.DEPLOY [production]"}
    (mark,) = found["platform/billing"].values()
    assert mark not in {hashlib.new(a, VALUE.encode()).hexdigest() for a in ("md5", "sha1", "sha256")}
    other = fingerprints.of_values(b"k" * 64, secret_values(targets()))
    assert other["platform/billing"] != found["platform/billing"]
    assert fingerprints.changed(key, secret_values(targets()), found) == []
    assert fingerprints.changed(key, secret_values(targets("rotated-by-someone")), found) == [
        "group data: group_variables.DEPLOY [production]",
        "platform/billing: variables.PYPI_TOKEN",
    ]


CHANGE = {"facet": "settings", "target": "project settings", "action": "update"}


@pytest.mark.parametrize(
    ("saved", "now", "said"),
    [
        (
            [CHANGE | {"before": {"a": 1}, "after": {"a": 2}}],
            [CHANGE | {"before": {"a": 1}, "after": {"a": 2}}],
            None,
        ),
        (
            [CHANGE | {"before": {"a": 1}, "after": {"a": 2}}],
            [CHANGE | {"before": {"a": 3}, "after": {"a": 2}}],
            "p: settings: project settings: a: GitLab had 1 when planned, 3 now",
        ),
        ([CHANGE], [], "p: settings: project settings: no longer to be done"),
        ([], [CHANGE], "p: settings: project settings: to be done now (update), and not in the plan"),
        (
            [CHANGE],
            [CHANGE | {"action": "create"}],
            "p: settings: project settings: the plan says update, now it is create",
        ),
        (
            [CHANGE | {"detail": "x"}],
            [CHANGE | {"detail": "y"}],
            "p: settings: project settings: its content changed",
        ),
    ],
)
def test_a_stale_plan_is_named_by_its_first_difference(saved, now, said):
    assert first_difference("p", saved, now) == said
