"""Deploy tokens: created once, replaced only with --rotate, the secret kept the moment it arrives.

The default keyring entry is service `provisioner-deploy-token`, name `<project path>/<token name>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.facets import issued
from provisioner.facets.base import ApplyContext
from provisioner.gitlab import deploy_tokens as api_tokens
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.deploy_tokens import DeployTokenRecord
from provisioner.inventory.schema import DeployToken, TokenStore
from provisioner.model import Action, Change

KEYRING_SERVICE = "provisioner-deploy-token"
ROTATE_HINT = "GitLab cannot change a deploy token: apply --rotate replaces it with a new one"


@dataclass(frozen=True)
class _Issue:
    """Create a token (after revoking `replaces`, when set)."""

    body: Mapping[str, Any]
    store: TokenStore
    default_keyring: str
    known: tuple[int, ...]  # active tokens of this name that are not ours to touch
    replaces: int | None = None
    rotate: bool = True  # False: a replacement the plan was not allowed to make


def default_keyring(project_path: str, name: str) -> str:
    return f"{KEYRING_SERVICE}/{project_path}/{name}"


def diff_deploy_tokens(
    facet: str,
    project_path: str,
    desired: Sequence[DeployToken],
    observed: Sequence[DeployTokenRecord],
    *,
    rotate: bool,
    lost: frozenset[str] = frozenset(),
) -> list[Change]:
    """`lost`: names whose store still holds the pending mark of a create that never got its token."""
    changes: list[Change] = []
    for want in desired:
        same = sorted((t for t in observed if t.name == want.name), key=lambda t: t.id)
        changes += _token_changes(facet, project_path, want, same, rotate, want.name in lost)
    named = {t.name for t in desired}
    changes += [
        Change(facet, f'deploy token "{t.name}" (#{t.id})', Action.UNMANAGED)
        for t in observed
        if t.name not in named
    ]
    return changes


def _token_changes(
    facet: str,
    project_path: str,
    want: DeployToken,
    same: Sequence[DeployTokenRecord],
    rotate: bool,
    lost_token: bool,
) -> list[Change]:
    target = f'deploy token "{want.name}"'
    keyring = default_keyring(project_path, want.name)
    shown = _shown(want)
    body = {"name": want.name, **shown}
    if not same:
        return [
            Change(
                facet,
                target,
                Action.CREATE,
                after={**shown, "token": issued.destination(want.token, keyring)},
                payload=_Issue(body, want.token, keyring, known=()),
            )
        ]
    *older, current = same
    changes = [
        Change(
            facet,
            f'deploy token "{t.name}" (#{t.id})',
            Action.UNMANAGED,
            after={"note": f"another active deploy token (#{current.id}) has this name"},
        )
        for t in older
    ]
    have = {
        "scopes": list(current.scopes),
        "expires_at": current.expires_at.isoformat() if current.expires_at else None,
        "username": current.username,
    }
    differing = [name for name in shown if have[name] != shown[name]]
    if lost_token:
        # Nobody ever held this token: replacing it takes nothing from anyone, --rotate or not.
        changes.insert(
            0,
            Change(
                facet,
                target,
                Action.REPLACE,
                before={"token": "lost: the run that created it stopped before keeping it"},
                after={**shown, "token": issued.destination(want.token, keyring)},
                payload=_Issue(
                    body, want.token, keyring, known=tuple(t.id for t in older), replaces=current.id
                ),
            ),
        )
    elif differing:
        changes.insert(
            0,
            Change(
                facet,
                target,
                Action.REPLACE,
                before={name: have[name] for name in differing},
                after={name: shown[name] for name in differing},
                detail=None if rotate else ROTATE_HINT,
                payload=_Issue(
                    body,
                    want.token,
                    keyring,
                    known=tuple(t.id for t in older),
                    replaces=current.id,
                    rotate=rotate,
                ),
            ),
        )
    return changes


def _shown(want: DeployToken) -> dict[str, Any]:
    """The compared fields, as GitLab takes them: scopes always, expiry and username only when the
    inventory sets them."""
    shown: dict[str, Any] = {"scopes": sorted(set(want.scopes))}
    if want.expires_at is not None:
        shown["expires_at"] = want.expires_at.isoformat()
    if want.username is not None:
        shown["username"] = want.username
    return shown


def needs_rotate(change: Change) -> bool:
    return isinstance(change.payload, _Issue) and not change.payload.rotate


def apply_deploy_token(api: GitLabApi, project_id: int, change: Change, ctx: ApplyContext) -> bool:
    """Apply `change` if it is about a deploy token; says whether it was."""
    plan = change.payload
    if not isinstance(plan, _Issue):
        return False
    issued.reserve(ctx, plan.store, plan.default_keyring, what=change.target)
    if plan.replaces is not None:
        # Revoke first: never two active tokens of one name, even if the create then fails.
        api_tokens.revoke(api, project_id, plan.replaces)
    token = api_tokens.create(api, project_id, plan.body, known=plan.known)
    issued.keep(
        ctx,
        plan.store,
        plan.default_keyring,
        token,
        what=change.target,
        undo=lambda: api_tokens.revoke(api, project_id, token.id),
    )
    return True
