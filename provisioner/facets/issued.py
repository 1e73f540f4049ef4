"""Keeping the one-time tokens GitLab issues while a facet applies (not a facet itself).

Shared by the runners and registry facets. A token goes to its store the moment it arrives; if it
cannot be stored, what it belongs to is removed again (`undo`), because a runner or deploy token whose
secret nobody holds is worthless and the next run would take it as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from provisioner import one_time_tokens
from provisioner.errors import GitLabError, ProvisionerError
from provisioner.facets.base import ApplyContext
from provisioner.gitlab.once import IssuedToken
from provisioner.inventory.schema import TokenStore
from provisioner.secrets import Secret, redact

log = logging.getLogger(__name__)


class TokenNotStored(ProvisionerError):
    """A token arrived but could not be kept; what it belongs to was removed again."""


def destination(store: TokenStore, default_keyring: str) -> str:
    """Where a token will go, for plans (the same words `one_time_tokens.store_token` answers)."""
    if store.file is not None:
        return f"file {store.file}"
    return f"keyring {store.keyring or default_keyring}"


def reserve(ctx: ApplyContext, store: TokenStore, default_keyring: str, *, what: str) -> None:
    """Before a create: mark the token's store (`one_time_tokens.PENDING`), so that a run dying before the token
    arrives leaves a trace the next run repairs; a store that cannot be written stops the create before
    anything exists in GitLab."""
    try:
        one_time_tokens.mark_pending(store, default_keyring, ctx.inventory_dir)
    except Exception as exc:
        reason = redact(f"{type(exc).__name__}: {exc}")
        raise TokenNotStored(
            f"{what}: its token could not be stored ({reason}); nothing was created"
        ) from exc


def pending(spec_dir: str, store: TokenStore, default_keyring: str) -> bool:
    """Whether an earlier run created this and died before keeping its token."""
    return one_time_tokens.is_pending(store, default_keyring, spec_dir)


def stored(spec_dir: str, store: TokenStore, default_keyring: str) -> Secret | None:
    """The token the store holds, to verify with GitLab; None when there is none to read here."""
    token = one_time_tokens.read_token(store, default_keyring, spec_dir)
    return Secret(token) if token is not None else None


def keep(
    ctx: ApplyContext,
    store: TokenStore,
    default_keyring: str,
    issued: IssuedToken,
    *,
    what: str,
    undo: Callable[[], None],
) -> str:
    try:
        where = one_time_tokens.store_token(store, default_keyring, issued.token.reveal(), ctx.inventory_dir)
    except Exception as exc:
        try:
            undo()
            outcome = "it was removed again, so the next run creates it afresh"
        except GitLabError as cleanup:
            outcome = f"removing it failed too ({cleanup}): delete it in GitLab, then run again"
        reason = redact(f"{type(exc).__name__}: {exc}")
        raise TokenNotStored(f"{what}: its new token could not be stored ({reason}); {outcome}") from exc
    log.info("%s: token stored in %s", what, where)
    return where
