"""Keeping the one-time tokens GitLab issues while a facet applies (not a facet itself).

Shared by the runners and registry facets. A token goes to its store the moment it arrives; if it
cannot be stored, what it belongs to is removed again (`undo`), because a runner or deploy token whose
secret nobody holds is worthless and the next run would take it as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from provisioner import tokens
from provisioner.errors import GitLabError, ProvisionerError
from provisioner.facets.base import ApplyContext
from provisioner.gitlab.once import IssuedToken
from provisioner.inventory.schema import TokenStore
from provisioner.secrets import redact

log = logging.getLogger(__name__)


class TokenNotStored(ProvisionerError):
    """A token arrived but could not be kept; what it belongs to was removed again."""


def destination(store: TokenStore, default_keyring: str) -> str:
    """Where a token will go, for plans (the same words `tokens.store_token` answers)."""
    if store.file is not None:
        return f"file {store.file}"
    return f"keyring {store.keyring or default_keyring}"


def keep(
    ctx: ApplyContext,
    store: TokenStore,
    default_keyring: str,
    issued: IssuedToken,
    *,
    what: str,
    undo: Callable[[], None],
) -> str:
    keep_token = ctx.store_token or tokens.store_token
    try:
        where = keep_token(store, default_keyring, issued.token.reveal(), ctx.inventory_dir)
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
