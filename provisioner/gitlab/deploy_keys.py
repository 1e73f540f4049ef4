"""A project's deploy keys (REFERENCE: doc/api/deploy_keys.md, lib/api/deploy_keys.rb).

A deploy key belongs to the instance and is enabled in projects, each with its own `can_push`. Its
fingerprint is unique on the instance, so a key GitLab already has is enabled, never created twice:
- `POST /projects/:id/deploy_keys` itself joins a key with the same text that the token may use
  (one of a project it maintains, or a public one);
- the same key written differently (another comment) is refused as a duplicate fingerprint: it is then
  looked for among the keys of the projects the token's user maintains
  (`GET /users/:id/project_deploy_keys`, what a non-administrator can list; `GET /deploy_keys` is for
  administrators) and enabled by id (`POST .../deploy_keys/:key_id/enable`).
A key the token cannot reach (in projects it does not maintain, or a user's own SSH key) cannot be
added: GitLab's refusal is reported, with what to do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.errors import Forbidden, NotFound, Rejected
from provisioner.gitlab import cache, identity
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once

DEPLOY_KEYS = "deploy_keys"


@dataclass(frozen=True)
class DeployKeyRecord:
    id: int
    title: str
    key: str
    fingerprint: str | None  # `SHA256:...` as GitLab shows it; None where it does not
    can_push: bool = False


def to_record(entity: Mapping[str, Any]) -> DeployKeyRecord:
    shown = entity.get("fingerprint_sha256")
    if shown and not str(shown).startswith("SHA256:"):
        shown = f"SHA256:{shown}"
    return DeployKeyRecord(
        id=int(entity["id"]),
        title=str(entity.get("title") or ""),
        key=str(entity.get("key") or ""),
        fingerprint=str(shown) if shown else None,
        can_push=bool(entity.get("can_push")),
    )


def deploy_keys(api: GitLabApi, project_id: int) -> tuple[DeployKeyRecord, ...]:
    path = f"/projects/{project_id}/deploy_keys"
    return cache.read(api, project_id, DEPLOY_KEYS, lambda: tuple(map(to_record, api.list(path))))


class KeyOutOfReach(Rejected):
    """GitLab has the key already, somewhere this token cannot enable it from."""


def add(api: GitLabApi, project_id: int, title: str, key: str, fingerprint: str, can_push: bool) -> None:
    """Enable the key here: joined or created by POST, or enabled by id when GitLab has it written
    another way. POST is not idempotent: after an unknown outcome, look before trying again."""
    path = f"/projects/{project_id}/deploy_keys"
    data = {"title": title, "key": key, "can_push": can_push}
    try:
        answer = create_once(lambda: api.post(path, data), lambda: _enabled(api, project_id, fingerprint))
    except Rejected as exc:
        if "fingerprint" not in exc.message or "taken" not in exc.message:
            raise
        found = _reachable(api, fingerprint)
        if found is None:
            raise KeyOutOfReach(
                exc.method,
                exc.path,
                exc.status,
                f"GitLab already has this key ({fingerprint}) where this token cannot enable it from: "
                "a project it does not maintain, or a user's SSH key; enable it there for this project, "
                "or make it a public deploy key (an administrator's POST /deploy_keys)",
            ) from exc
        enable(api, project_id, found)
        if can_push:
            update(api, project_id, found, can_push=True)
        return
    _answered(api, project_id, answer)


def enable(api: GitLabApi, project_id: int, key_id: int) -> None:
    """201 with the key, without this project's `can_push`: read the list again."""
    api.post(f"/projects/{project_id}/deploy_keys/{key_id}/enable")
    cache.unknown(api, project_id, DEPLOY_KEYS)


def update(api: GitLabApi, project_id: int, key_id: int, *, can_push: bool) -> None:
    answer = api.put(f"/projects/{project_id}/deploy_keys/{key_id}", {"can_push": can_push})
    _answered(api, project_id, answer)


def remove(api: GitLabApi, project_id: int, key_id: int) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/deploy_keys/{key_id}")
    cache.answered(api, project_id, DEPLOY_KEYS, lambda kept: tuple(k for k in kept if k.id != key_id))


def _enabled(api: GitLabApi, project_id: int, fingerprint: str) -> DeployKeyRecord | None:
    cache.unknown(api, project_id, DEPLOY_KEYS)
    return next((k for k in deploy_keys(api, project_id) if k.fingerprint == fingerprint), None)


def _reachable(api: GitLabApi, fingerprint: str) -> int | None:
    """The id of the key with `fingerprint` among those of the projects the token's user maintains."""
    user = identity.token_user(api)
    if user is None:
        return None
    with contextlib.suppress(NotFound, Forbidden):  # 403: the user maintains no project at all
        for entity in api.list(f"/users/{user.id}/project_deploy_keys"):
            if to_record(entity).fingerprint == fingerprint:
                return int(entity["id"])
    return None


def _answered(api: GitLabApi, project_id: int, answer: Any) -> None:
    """The answer is the key as this project has it (DeployKeysProject); anything else proves nothing."""
    if not (isinstance(answer, Mapping) and "id" in answer and "can_push" in answer):
        cache.unknown(api, project_id, DEPLOY_KEYS)
        return
    record = to_record(answer)
    cache.answered(
        api, project_id, DEPLOY_KEYS, lambda kept: (*(k for k in kept if k.id != record.id), record)
    )
