"""`deploy_keys`: SSH keys with read (or write) access to a project's repository.

A deploy key is identified by its fingerprint, as GitLab computes it (SHA256 of the key's blob, in
unpadded base64 after `SHA256:`), never by its title or comment: the same key enabled elsewhere on
the instance is the same key. GitLab keeps one title per key, for every project that uses it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from provisioner.inventory.sections import Model

# Gitlab::SSHPublicKey.supported_algorithms [G:lib/gitlab/ssh_public_key.rb]
ALGORITHMS = frozenset(
    {
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-ed25519",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "sk-ssh-ed25519@openssh.com",
    }
)
MAX_KEY_LENGTH = 5000  # Key: `validates :key, length: { maximum: 5000 }` [G:app/models/key.rb]


def key_blob(text: str) -> bytes:
    """The key's blob from `TYPE BASE64 [COMMENT]`; ValueError saying what is wrong."""
    parts = text.strip().split()
    if len(parts) < 2:
        raise ValueError("an OpenSSH public key is 'TYPE BASE64 [COMMENT]', such as 'ssh-ed25519 AAAA...'")
    if parts[0] not in ALGORITHMS:
        raise ValueError(
            f"GitLab does not take {parts[0]!r} keys: use one of {', '.join(sorted(ALGORITHMS))}"
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key's second part is not base64") from None
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if blob[4 : 4 + length] != parts[0].encode():
        raise ValueError(f"the key's data is not a {parts[0]} key")
    return blob


def fingerprint(text: str) -> str:
    """`SHA256:` + unpadded base64 of the blob's SHA256, as ssh-keygen and GitLab print it
    [G:lib/gitlab/ssh_public_key.rb `fingerprint_sha256`]."""
    digest = hashlib.sha256(key_blob(text)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _public_key(text: str) -> str:
    if len(text) > MAX_KEY_LENGTH:
        raise ValueError(f"GitLab takes keys of at most {MAX_KEY_LENGTH} characters")
    if "PRIVATE KEY" in text:
        raise ValueError("this is a private key: give the public one (the .pub file)")
    key_blob(text)
    return " ".join(text.split())


class DeployKey(Model):
    title: Annotated[str, Field(min_length=1, max_length=255)]
    """Given to the key when it is created here. GitLab keeps one title per key for every project that
    uses it, and lets it change only while one project uses it: a different title on GitLab is
    reported, never written."""
    key: Annotated[str, AfterValidator(_public_key)]
    """The public key, `TYPE BASE64 [COMMENT]`. Its identity is its fingerprint (the comment does not
    count): a key GitLab already has is enabled here, not created again."""
    can_push: bool = False
    """Write access to this project's repository."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


class DeployKeys(Model):
    keys: list[DeployKey] = []
    prune: bool = False
    """Disable deploy keys the inventory does not name in this project (otherwise they are reported as
    unmanaged). GitLab deletes a key once no project uses it."""

    @model_validator(mode="after")
    def _unique(self) -> DeployKeys:
        seen: dict[str, str] = {}
        for entry in self.keys:
            if entry.fingerprint in seen:
                raise ValueError(f"keys {seen[entry.fingerprint]!r} and {entry.title!r} are the same key")
            seen[entry.fingerprint] = entry.title
        return self
