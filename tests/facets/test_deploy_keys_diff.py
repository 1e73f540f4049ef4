"""The deploy keys diff is pure: identity is the key's SHA256 fingerprint, as GitLab computes it."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pydantic import ValidationError

from provisioner.facets.deploy_keys import TITLE_NOTE, diff_deploy_keys
from provisioner.gitlab.deploy_keys import DeployKeyRecord
from provisioner.inventory.sections.deploy_keys import DeployKey, DeployKeys, fingerprint
from provisioner.model import Action

# An ed25519 public key, and GitLab's documented fingerprint of it [G:doc/api/deploy_keys.md].
BLOB = "AAAAC3NzaC1lZDI1NTE5AAAAILkYXU2fVeO4/0rDCSsswP5iIX2+B6tv15YT3KObgyDl"
KEY = f"ssh-ed25519 {BLOB} Key"
PRINT = "SHA256:Ojq2LZW43BFK/AMP81jBkDGn9YpPWYRNcViKBB44LPU"
OTHER_BLOB = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
OTHER = f"ssh-ed25519 {OTHER_BLOB}"


def test_the_fingerprint_is_gitlab_s():
    assert fingerprint(KEY) == PRINT
    digest = base64.b64encode(hashlib.sha256(base64.b64decode(BLOB)).digest()).decode().rstrip("=")
    assert f"SHA256:{digest}" == PRINT


def record(
    key_id: int = 1, title: str = "ci", key: str = KEY, can_push: bool = False, shown: str | None = PRINT
) -> DeployKeyRecord:
    return DeployKeyRecord(key_id, title, key, shown, can_push)


def plan(keys: list[dict], seen: list[DeployKeyRecord], prune: bool = False) -> list[tuple[str, str]]:
    config = DeployKeys(keys=[DeployKey(**k) for k in keys], prune=prune)
    return [(c.action.value, c.target) for c in diff_deploy_keys("deploy_keys", config, seen)]


@pytest.mark.parametrize(
    ("keys", "seen", "expected"),
    [
        ([{"title": "ci", "key": KEY}], [], [("create", f"deploy key ci ({PRINT})")]),
        ([{"title": "ci", "key": KEY}], [record()], []),
        # the comment is not the key: the same key written another way is the same key
        ([{"title": "ci", "key": f"ssh-ed25519 {BLOB} someone@laptop"}], [record()], []),
        # GitLab may not show the fingerprint: the key text gives it
        ([{"title": "ci", "key": KEY}], [record(shown=None)], []),
        (
            [{"title": "ci", "key": KEY, "can_push": True}],
            [record()],
            [("update", f"deploy key ci ({PRINT})")],
        ),
        ([], [record()], [("unmanaged", f"deploy key ci ({PRINT})")]),
    ],
)
def test_diff_table(keys, seen, expected):
    assert plan(keys, seen) == expected


def test_a_different_title_is_said_and_never_written():
    config = DeployKeys(keys=[DeployKey(title="deploy", key=KEY)])
    (change,) = diff_deploy_keys("deploy_keys", config, [record(title="ci")])
    assert change.action is Action.UNMANAGED and change.after == {"title": "deploy", "note": TITLE_NOTE}


def test_prune_disables_keys_the_inventory_does_not_name():
    config = DeployKeys(keys=[DeployKey(title="other", key=OTHER)], prune=True)
    changes = diff_deploy_keys("deploy_keys", config, [record()])
    assert [c.action for c in changes] == [Action.CREATE, Action.DELETE]
    assert changes[1].payload.have.id == 1


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("ssh-ed25519", "TYPE BASE64"),
        ("ssh-foo AAAA", "does not take 'ssh-foo'"),
        ("ssh-ed25519 not*base64", "not base64"),
        (f"ssh-rsa {BLOB}", "not a ssh-rsa key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----", "private key"),
    ],
)
def test_what_is_not_a_public_key_is_refused_with_the_reason(key, message):
    with pytest.raises(ValidationError, match=message):
        DeployKey(title="x", key=key)


def test_the_same_key_twice_is_refused():
    with pytest.raises(ValidationError, match="are the same key"):
        DeployKeys(keys=[DeployKey(title="a", key=KEY), DeployKey(title="b", key=f"ssh-ed25519 {BLOB} b")])
