"""Project runners the tool creates (`runners.create`): create, keep in shape, repair, deduplicate.

Each entry is matched by description among the project's runners; a missing one is created through
POST /user/runners, marked as the tool's (`gitlab.runners.MARK`), its one-time token stored at once.

The token kept in the store is checked (`POST /runners/verify`) whenever the runner exists:
- it authenticates one of the runners with this description: that one is kept;
- it no longer authenticates (403: a concurrent run removed its runner, a person reset the token by
  hand): the kept runner gets a new token, stored (the plan shows it: a runner process registered
  with the old token needs the new one).
Runners with the same description beyond the kept one are duplicates. One the tool created (marked)
whose token nobody holds (it never contacted GitLab) is removed: two runs that created it at once
leave one. Any other is reported, for a person to delete.

Attributes the inventory leaves out (tags, flags, the maintenance note) are GitLab's: written when the
runner is created, with the defaults of the schema, and not compared afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from provisioner.facets import issued
from provisioner.facets.base import ApplyContext
from provisioner.gitlab import runners as api_runners
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import IssuedToken
from provisioner.gitlab.runners import RunnerRecord, Verification
from provisioner.inventory.schema import ProjectRunner, TokenStore
from provisioner.model import Action, Change

KEYRING_SERVICE = "provisioner-runner"
_FIELDS = ("tags", "run_untagged", "locked", "paused", "access_level", "maximum_timeout", "maintenance_note")


@dataclass(frozen=True)
class _Create:
    body: Mapping[str, Any]
    store: TokenStore
    default_keyring: str


@dataclass(frozen=True)
class _Reset:
    """A runner whose stored token is lost or no longer valid: a fresh token, kept."""

    runner_id: int
    store: TokenStore
    default_keyring: str


@dataclass(frozen=True)
class _Update:
    runner_id: int
    body: Mapping[str, Any]


@dataclass(frozen=True)
class _Remove:
    """A duplicate the tool created, whose token nobody holds."""

    runner_id: int


def default_keyring(project_path: str, description: str) -> str:
    return f"{KEYRING_SERVICE}/{project_path}/{description}"


def runner_name(runner: RunnerRecord) -> str:
    return f'"{runner.description}" (#{runner.id})' if runner.description else f"#{runner.id}"


def created_changes(
    facet: str,
    project_path: str,
    want: ProjectRunner,
    same: Sequence[RunnerRecord],
    *,
    lost_token: bool,
    stored: Verification | None,
) -> list[Change]:
    """`same`: the project's runners with this description, oldest first. `stored`: what GitLab says
    of the token the store holds (None: no token could be read there, as in a CI job running check)."""
    target = f'runner "{want.description}"'
    keyring = default_keyring(project_path, want.description)
    if not same:
        desired = _desired(want, creating=True)
        shown = {**desired, "token": issued.destination(want.token, keyring)}
        body = {"description": want.description, **_body(desired, marked=False)}  # create() marks it
        return [Change(facet, target, Action.CREATE, after=shown, payload=_Create(body, want.token, keyring))]
    held = _held(same, stored)
    kept = held or same[0]
    changes = _in_shape(facet, target, want, kept)
    token_lost = lost_token or (stored is not None and held is None)
    changes += [
        _duplicate(facet, d, kept, removable=token_lost or held is not None) for d in same if d != kept
    ]
    if token_lost:
        reason = (
            "lost: the run that created the runner stopped before keeping it"
            if lost_token
            else f"does not authenticate runner #{kept.id} (POST /runners/verify: 403)"
        )
        changes.append(_reset(facet, target, kept, reason, want.token, keyring))
    return changes


def _held(same: Sequence[RunnerRecord], stored: Verification | None) -> RunnerRecord | None:
    """The runner the stored token authenticates, among `same`."""
    if stored is None or not stored.valid:
        return None
    if stored.runner_id is None:  # GitLab did not say which: the oldest, as before verification
        return same[0]
    return next((r for r in same if r.id == stored.runner_id), None)


def _in_shape(facet: str, target: str, want: ProjectRunner, kept: RunnerRecord) -> list[Change]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in _desired(want, creating=False).items():
        have = _have(kept, name)
        if have != value:
            before[name], after[name] = have, value
    if not after:
        return []
    body = _body(after, marked=kept.marked)
    return [Change(facet, target, Action.UPDATE, before, after, payload=_Update(kept.id, body))]


def _duplicate(facet: str, runner: RunnerRecord, kept: RunnerRecord, *, removable: bool) -> Change:
    if removable and runner.marked and not runner.contacted:
        reason = f"a duplicate of runner #{kept.id} made by a concurrent run; nobody holds its token"
        return Change(
            facet,
            f"runner {runner_name(runner)}",
            Action.DELETE,
            before={"runner": runner_name(runner), "reason": reason},
            payload=_Remove(runner.id),
        )
    note = f"same description as runner #{kept.id}; delete one of them in GitLab"
    return Change(facet, f"runner {runner_name(runner)}", Action.UNMANAGED, after={"note": note})


def _reset(
    facet: str, target: str, kept: RunnerRecord, reason: str, store: TokenStore, keyring: str
) -> Change:
    return Change(
        facet,
        f"{target} token",
        Action.UPDATE,
        before={"token": reason},
        after={"token": f"reset, kept in {issued.destination(store, keyring)}"},
        payload=_Reset(kept.id, store, keyring),
    )


def _desired(want: ProjectRunner, *, creating: bool) -> dict[str, Any]:
    """What the runner must have: everything when it is created, only what the inventory says after."""
    named = set(_FIELDS) if creating else want.model_fields_set
    desired = {name: getattr(want, name) for name in _FIELDS if name in named}
    if "tags" in desired:
        desired["tags"] = sorted(set(want.tags))
    return {name: value for name, value in desired.items() if value is not None}


def _have(runner: RunnerRecord, name: str) -> Any:
    if name == "tags":
        return list(runner.tags)
    if name == "maintenance_note":
        return runner.note
    return getattr(runner, name)


def _body(fields: Mapping[str, Any], *, marked: bool) -> dict[str, Any]:
    """GitLab's names: `tag_list` replaces the whole list; a marked runner keeps its mark."""
    body = {("tag_list" if name == "tags" else name): value for name, value in fields.items()}
    if "maintenance_note" in body and marked:
        body["maintenance_note"] = api_runners.with_mark(body["maintenance_note"])
    return body


def apply_created(api: GitLabApi, project_id: int, change: Change, ctx: ApplyContext) -> bool:
    """Apply `change` if it is about a runner the tool creates; says whether it was."""
    plan = change.payload
    if isinstance(plan, _Create):
        issued.reserve(ctx, plan.store, plan.default_keyring, what=change.target)
        token = api_runners.create(api, project_id, plan.body)
        undo = partial(api_runners.delete, api, project_id, token.id)
        issued.keep(ctx, plan.store, plan.default_keyring, token, what=change.target, undo=undo)
    elif isinstance(plan, _Reset):
        token = IssuedToken(plan.runner_id, api_runners.reset_token(api, plan.runner_id))
        undo = partial(api_runners.delete, api, project_id, plan.runner_id)
        issued.keep(ctx, plan.store, plan.default_keyring, token, what=change.target, undo=undo)
    elif isinstance(plan, _Update):
        api_runners.update(api, project_id, plan.runner_id, plan.body)
    elif isinstance(plan, _Remove):
        api_runners.delete_unclaimed(api, project_id, plan.runner_id)
    else:
        return False
    return True
