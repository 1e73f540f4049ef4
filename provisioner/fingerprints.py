"""Keyed fingerprints of secret values, so that `apply --plan` sees a secret that changed since
`plan --out` (the plan records references such as `env:PYPI_TOKEN`, never values).

A fingerprint is HMAC-SHA256 under a key the plan file never holds and cannot lead to: a plain or
unsalted hash of a short secret is brute-forced from the file in minutes. The key is
`PROVISIONER_PLAN_KEY` when set (CI: plan and apply run in different jobs, on different machines: give
both the same masked variable), else 32 random bytes kept in `$XDG_STATE_HOME/provisioner/plan.key`
(`~/.local/state/...`), created 0600 on first use. The plan records the key's own fingerprint
(`key_id`), so that a plan checked with another key says so instead of blaming every secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets as random
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from provisioner import secrets
from provisioner.config import state_dir
from provisioner.errors import ConfigError
from provisioner.secrets import Secret

KEY_ENV = "PROVISIONER_PLAN_KEY"
MIN_KEY = 32  # characters of PROVISIONER_PLAN_KEY: a key, not a password


def key_file() -> Path:
    return state_dir() / "plan.key"


def plan_key() -> bytes:
    """The key of this machine (or of the CI variable)."""
    given = os.environ.get(KEY_ENV)
    if given is not None:
        if len(given) < MIN_KEY:
            raise ConfigError(
                f"{KEY_ENV} must be at least {MIN_KEY} characters (random, e.g. openssl rand -hex 32)"
            )
        secrets.remember(given)
        return given.encode()
    return _stored_key(key_file())


def key_id(key: bytes) -> str:
    """Names the key in a plan file (the key's fingerprint; it says nothing of any secret)."""
    return hmac.new(key, b"provisioner plan key", hashlib.sha256).hexdigest()[:16]


def of_values(key: bytes, values: Mapping[str, Mapping[str, Secret]]) -> dict[str, dict[str, str]]:
    """By target, by field: the fingerprint of each secret value."""
    return {
        target: {field: _fingerprint(key, value.reveal()) for field, value in fields.items()}
        for target, fields in values.items()
        if fields
    }


def changed(
    key: bytes, values: Mapping[str, Mapping[str, Secret]], recorded: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """`target: field` of every secret whose value differs from what the plan recorded (or that only
    one of them has), among the targets in `values`."""
    now = of_values(key, values)
    out = []
    for target in sorted(values):
        mine, theirs = now.get(target, {}), recorded.get(target, {})
        out += [
            f"{target}: {field}"
            for field in sorted({*mine, *theirs})
            if not hmac.compare_digest(mine.get(field, ""), theirs.get(field, ""))
        ]
    return out


def _fingerprint(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _stored_key(path: Path) -> bytes:
    """The key file's key; made when there is none: written whole to a private temporary file, then
    linked into place (two first runs at once both end with the one key that got there first)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            fd, staged = tempfile.mkstemp(dir=path.parent, prefix=".plan.key.")  # 0600, O_EXCL
            try:
                with os.fdopen(fd, "w") as file:
                    file.write(random.token_hex(32))
                    file.flush()
                    os.fsync(file.fileno())
                with contextlib.suppress(FileExistsError):
                    os.link(staged, path)
            finally:
                os.unlink(staged)
        return _read_key(path)
    except OSError as exc:
        raise ConfigError(f"cannot use the plan key {path}: {exc.strerror} (or set {KEY_ENV})") from None


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.geteuid():
            raise ConfigError(
                f"the plan key {path} must be a file of yours that only you can read (chmod 600)"
            )
        key = os.read(fd, 4096).strip()
    finally:
        os.close(fd)
    if len(key) < MIN_KEY:
        raise ConfigError(f"the plan key {path} is too short: remove it and a new one is made")
    return key
