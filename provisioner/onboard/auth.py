"""Logging in: check a token against GitLab, describe it, and say what is wrong with it.

The token itself never passes through here as text to show: callers print `describe` and
`warnings`, which name the token by its GitLab name, never by its value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from provisioner.gitlab import identity
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.identity import TokenRecord, UserRecord

EXPIRY_WARNING_DAYS = 7
TOKEN_VARIABLES = ("PROVISIONER_TOKEN", "GITLAB_TOKEN")  # in the order config.Settings reads them


@dataclass(frozen=True)
class Identity:
    token: TokenRecord
    user: UserRecord | None  # None: the token's scopes do not allow reading the user


def identify(api: GitLabApi) -> Identity:
    """Raises `Unauthorized` when GitLab refuses the token (invalid, expired or revoked)."""
    token = identity.token_self(api)
    return Identity(token, identity.current_user(api))


def describe(who: Identity, today: date) -> list[str]:
    user = who.user
    if user is None:
        name = "a user this token may not read (no api, read_api or read_user scope)"
    else:
        name = f"{user.username} ({user.name})" if user.name else user.username
        name += ", administrator" if user.is_admin else ""
    scopes = ", ".join(who.token.scopes) or "none"
    expiry = "never expires"
    if who.token.expires_at is not None:
        days = (who.token.expires_at - today).days
        expiry = f"expires {who.token.expires_at.isoformat()} ({_in_days(days)})"
    return [f"user:    {name}", f"token:   {who.token.name or '(unnamed)'}, {expiry}", f"scopes:  {scopes}"]


def warnings(who: Identity, today: date) -> list[str]:
    found = []
    scopes = set(who.token.scopes)
    if "api" not in scopes:
        if "read_api" in scopes:
            found.append(
                "the token has read_api but not api: plan, check and import work; "
                "apply and bootstrap need a token with the api scope"
            )
        else:
            found.append(
                "the token has neither api nor read_api: it cannot use the REST API this tool needs "
                "(create a token with the api scope, or read_api for plan and check only)"
            )
    expires = who.token.expires_at
    if expires is not None and (expires - today).days <= EXPIRY_WARNING_DAYS:
        found.append(f"the token expires {_in_days((expires - today).days)}: create a new one soon")
    return found


def _in_days(days: int) -> str:
    if days < 0:
        return "already"
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def token_variable() -> str | None:
    """The environment variable the token comes from, when one is set (it wins over the keyring)."""
    return next((name for name in TOKEN_VARIABLES if os.environ.get(name)), None)


def keyring_backend() -> str | None:
    """The name of the OS keyring backend, or None where there is none (a headless server)."""
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    return f"{type(backend).__module__}.{type(backend).__qualname__}"
