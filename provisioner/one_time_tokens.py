"""Keeping the one-time tokens GitLab hands out (runner and deploy tokens) the moment they arrive.

GitLab shows such a token once. It goes to the OS keyring (default) or to a file the user names,
created with mode 0600 before anything is written to it. It is never printed or logged.
"""

from __future__ import annotations

from pathlib import Path

from provisioner import credentials, safe_files, secrets
from provisioner.inventory.schema import TokenStore

PENDING = "provisioner: token not received yet"
"""Written to a token's store just before the create that issues the token, and replaced by the token
when it arrives. A later run that finds it knows the create may have landed while the token was lost
(the process died in between), and resets or replaces what landed instead of taking it as done."""


def store_token(store: TokenStore, default_keyring: str, token: str, base_dir: str) -> str:
    """Keep `token`; returns where it went, for the report (never the token itself).

    `default_keyring` is SERVICE/NAME used when the inventory names no store.
    """
    secrets.remember(token)
    return _write(store, default_keyring, token, base_dir)


def mark_pending(store: TokenStore, default_keyring: str, base_dir: str) -> str:
    """Before a create: proves the store is writable, and leaves a trace should the token be lost."""
    return _write(store, default_keyring, PENDING, base_dir)


def is_pending(store: TokenStore, default_keyring: str, base_dir: str) -> bool:
    """Whether the store still holds the mark of a create whose token never arrived. Unreadable: no."""
    return _read(store, default_keyring, base_dir) == PENDING


def read_token(store: TokenStore, default_keyring: str, base_dir: str) -> str | None:
    """The token the store holds; None when it holds none (or the pending mark), or cannot be read."""
    value = _read(store, default_keyring, base_dir)
    if not value or value == PENDING:
        return None
    secrets.remember(value)
    return value


def _read(store: TokenStore, default_keyring: str, base_dir: str) -> str | None:
    try:
        if store.file is not None:
            path = Path(base_dir, store.file)
            return path.read_text(encoding="utf-8").strip() if path.is_file() else None
        service, _, name = (store.keyring or default_keyring).partition("/")
        value = credentials.keyring_get(name, service=service)
        return value.strip() if value else None
    except Exception:  # no keyring here (a read-only CI job running check): nothing to repair from here
        return None


def _write(store: TokenStore, default_keyring: str, value: str, base_dir: str) -> str:
    if store.file is not None:
        safe_files.write_text(Path(base_dir, store.file), value + "\n", private=True)
        return f"file {store.file}"
    service, _, name = (store.keyring or default_keyring).partition("/")  # names may hold slashes
    credentials.keyring_set(service, name, value)
    return f"keyring {service}/{name}"
