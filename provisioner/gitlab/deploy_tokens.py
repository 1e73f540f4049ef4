"""Project deploy tokens (REFERENCE 2.8): list the active ones, create, revoke. There is no update.

Names are not unique on GitLab and a create is not idempotent; the token is in the create's answer
only. When that answer is lost, the active tokens are listed again: a new one with our name means
the create landed but its token never reached us, so it is revoked and created once more.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provisioner.errors import NotFound
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import IssuedToken, create_once
from provisioner.secrets import Secret

DEPLOY_TOKENS = "deploy_tokens"


@dataclass(frozen=True)
class DeployTokenRecord:
    id: int
    name: str
    scopes: tuple[str, ...]  # sorted
    username: str | None = None
    expires_at: date | None = None


def to_record(entity: Mapping[str, Any]) -> DeployTokenRecord:
    expires = entity.get("expires_at")
    return DeployTokenRecord(
        id=int(entity["id"]),
        name=str(entity["name"]),
        scopes=tuple(sorted(set(entity.get("scopes") or ()))),
        username=entity.get("username") or None,
        # "2026-08-15T00:00:00.000Z" or "2026-08-15": the inventory speaks dates
        expires_at=date.fromisoformat(str(expires)[:10]) if expires else None,
    )


def active_tokens(api: GitLabApi, project_id: int) -> list[DeployTokenRecord]:
    def fetch() -> tuple[DeployTokenRecord, ...]:
        listed = api.list(f"/projects/{project_id}/deploy_tokens", active="true")
        # `active` filters on the server; older servers ignore it, so look at the flags as well
        return tuple(to_record(t) for t in listed if not t.get("revoked") and not t.get("expired"))

    return list(cache.read(api, project_id, DEPLOY_TOKENS, fetch))


def create(
    api: GitLabApi, project_id: int, body: Mapping[str, Any], *, known: Collection[int]
) -> IssuedToken:
    """Create a token and return it. `known`: ids of active tokens of that name before the create,
    so that a lost answer is told apart from a token someone else made."""
    path = f"/projects/{project_id}/deploy_tokens"

    def issue() -> IssuedToken:
        answer = api.post(path, dict(body))
        issued = IssuedToken(int(answer["id"]), Secret(str(answer["token"])))
        # the answer is the token as the list shows it, plus its secret
        record = to_record(answer)
        cache.answered(api, project_id, DEPLOY_TOKENS, lambda kept: (*kept, record))
        return issued

    def revoke_landed() -> None:
        cache.unknown(api, project_id, DEPLOY_TOKENS)
        for token in active_tokens(api, project_id):
            if token.name == body["name"] and token.id not in known:
                revoke(api, project_id, token.id)  # its secret never reached us: worthless

    return create_once(issue, revoke_landed)


def revoke(api: GitLabApi, project_id: int, token_id: int) -> None:
    with contextlib.suppress(NotFound):  # already gone (a retried DELETE whose first answer was lost)
        api.delete(f"/projects/{project_id}/deploy_tokens/{token_id}")
    cache.answered(api, project_id, DEPLOY_TOKENS, lambda kept: tuple(t for t in kept if t.id != token_id))
