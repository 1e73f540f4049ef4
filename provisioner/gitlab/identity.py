"""Who the token is (REFERENCE 2.15): `GET /personal_access_tokens/self` and `GET /user`.

`/personal_access_tokens/self` answers for any scope (project and group access tokens too) and is
401 when the token is invalid, expired or revoked. `/user` needs api, read_api or read_user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provisioner.errors import Forbidden
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi


@dataclass(frozen=True)
class TokenRecord:
    name: str
    scopes: tuple[str, ...]
    expires_at: date | None
    active: bool = True
    user_id: int | None = None


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    name: str = ""
    is_admin: bool = False


def to_token(entity: Mapping[str, Any]) -> TokenRecord:
    expires = entity.get("expires_at")
    user_id = entity.get("user_id")
    return TokenRecord(
        name=str(entity.get("name") or ""),
        scopes=tuple(sorted(str(s) for s in entity.get("scopes") or ())),
        expires_at=date.fromisoformat(str(expires)[:10]) if expires else None,
        active=bool(entity.get("active", True)) and not entity.get("revoked"),
        user_id=int(user_id) if user_id is not None else None,
    )


def token_self(api: GitLabApi) -> TokenRecord:
    return to_token(api.get("/personal_access_tokens/self"))


def current_user(api: GitLabApi) -> UserRecord | None:
    """The token's user, or None when the token's scopes do not allow reading it."""
    try:
        entity = api.get("/user")
    except Forbidden:
        return None
    return UserRecord(
        id=int(entity["id"]),
        username=str(entity["username"]),
        name=str(entity.get("name") or ""),
        is_admin=bool(entity.get("is_admin")),
    )


def token_user(api: GitLabApi) -> UserRecord | None:
    """`current_user`, asked once per run (members never remove it; deploy keys look through its
    projects)."""
    return cache.looked_up(api, "token_user", "", lambda: current_user(api))
