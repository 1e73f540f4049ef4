"""Deploy keys: the instance's keys, and the projects each one is enabled in [G:lib/api/deploy_keys.rb,
doc/api/deploy_keys.md].

A key is one row of the instance (its SHA256 fingerprint is unique among all keys), enabled in any
number of projects with a per-project `can_push`. What GitLab does, and the sandbox with it:
- every project route needs admin_project (Maintainer);
- `POST /projects/:id/deploy_keys` returns the key already enabled there with the same text; else
  enables a key with the same text the caller may use (`accessible_deploy_keys`: keys of projects the
  caller maintains, and public ones); else creates one, refused when another key has the fingerprint;
- `POST .../:key_id/enable` enables an accessible key by id (201, the key without `can_push`);
- `PUT` changes `can_push`, and the title only where `update_deploy_key_title` allows it (an
  administrator, or the maintainer of the one project that uses the key): otherwise the title is
  dropped without a word [G:app/policies/deploy_key_policy.rb];
- `DELETE` disables it in the project, and deletes the key once no project uses it (unless public);
- `GET /deploy_keys` is for administrators only; `GET /users/:user_id/project_deploy_keys` lists the
  keys of the projects the caller (and that user) maintain [G:lib/api/users.rb].
User SSH keys, which share the fingerprint's uniqueness, are not modelled.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import find_user, project_access, require_admin, require_project, require_user
from provisioner.sandbox.http import (
    forbidden,
    json_response,
    message,
    no_content,
    not_found,
    paginate,
    validation,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, DeployKey, DeployKeyLink, Project, State, User, now_iso
from provisioner.sandbox.times import timestamp_param

ROUTES = Routes()
# Gitlab::SSHPublicKey.supported_algorithms [G:lib/gitlab/ssh_public_key.rb]
ALGORITHMS = (
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-ed25519",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ssh-ed25519@openssh.com",
)


def parse_key(text: str) -> tuple[str, bytes] | None:
    """(sanitized text, the key's blob), or None for text that is not an OpenSSH public key: a known
    algorithm, then base64 whose first string names that algorithm (SSHData's parse)."""
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] not in ALGORITHMS:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if blob[4 : 4 + length] != parts[0].encode():
        return None
    return " ".join(parts[:3]), blob


def fingerprints(blob: bytes) -> tuple[str, str]:
    """`SHA256:` + unpadded base64 of the blob's SHA256, and the colon-separated MD5, as ssh-keygen
    and SSHData compute them [G:lib/gitlab/ssh_public_key.rb `fingerprint_sha256`]."""
    sha = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    md5 = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return f"SHA256:{sha}", ":".join(md5[i : i + 2] for i in range(0, 32, 2))


def key_json(key: DeployKey) -> dict[str, Any]:
    """Entities::DeployKey."""
    return {
        "id": key.id,
        "title": key.title,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "key": key.key,
        "usage_type": "auth",
        "fingerprint": key.fingerprint,
        "fingerprint_sha256": key.fingerprint_sha256,
    }


def link_json(state: State, link: DeployKeyLink) -> dict[str, Any]:
    """Entities::DeployKeysProject: the key, and its write access in this project."""
    return key_json(state.deploy_keys[link.key_id]) | {"can_push": link.can_push}


def _projects_using(state: State, key_id: int) -> list[Project]:
    return [p for p in state.projects.values() if any(link.key_id == key_id for link in p.deploy_keys)]


def _maintained(state: State, user: User) -> list[Project]:
    return [p for p in state.projects.values() if project_access(state, user, p) >= MAINTAINER]


def accessible(state: State, user: User, wanted: Callable[[DeployKey], bool]) -> DeployKey | None:
    """The first key `wanted` among `User#accessible_deploy_keys`: public keys, and the keys of
    projects the user maintains (only the projects using a wanted key are asked about)."""
    for key in sorted(state.deploy_keys.values(), key=lambda k: k.id):
        if wanted(key) and (
            key.public
            or any(project_access(state, user, p) >= MAINTAINER for p in _projects_using(state, key.id))
        ):
            return key
    return None


def _link(project: Project, key_id: str) -> DeployKeyLink:
    found = next((link for link in project.deploy_keys if str(link.key_id) == key_id), None)
    if found is None:
        raise not_found("Deploy key")
    return found


def _enable(state: State, project: Project, key: DeployKey, can_push: bool) -> DeployKeyLink:
    link = DeployKeyLink(state.next_id("deploy_keys_project"), key.id, can_push)
    project.deploy_keys.append(link)
    return link


@ROUTES.get("/deploy_keys")
async def list_instance_keys(req: ApiRequest) -> Response:
    require_admin(req)
    keys = sorted(req.state.deploy_keys.values(), key=lambda k: k.id)
    if req.params.bool("public", False):
        keys = [k for k in keys if k.public]
    return paginate(req.http, req.params, keys, key_json)


@ROUTES.get("/projects/:id/deploy_keys")
async def list_project_keys(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    return paginate(req.http, req.params, project.deploy_keys, lambda link: link_json(req.state, link))


@ROUTES.get("/projects/:id/deploy_keys/:key_id")
async def get_project_key(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    link = next((k for k in project.deploy_keys if str(k.key_id) == req.path["key_id"]), None)
    if link is None:
        raise message("404 Not found", 404)  # find_by!: ActiveRecord::RecordNotFound
    return json_response(link_json(req.state, link))


@ROUTES.post("/projects/:id/deploy_keys")
async def add_key(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    state, user, p = req.state, require_user(req), req.params
    p.require("key", "title")
    text, can_push = str(p.str("key")).strip(), bool(p.bool("can_push", False))
    parsed = parse_key(text)
    sanitized = parsed[0] if parsed else text
    for link in project.deploy_keys:
        if state.deploy_keys[link.key_id].key == sanitized:
            return json_response(link_json(state, link), 201)
    found = accessible(state, user, lambda k: k.key == sanitized)
    if found is not None:
        return json_response(link_json(state, _enable(state, project, found, can_push)), 201)
    title = str(p.str("title"))
    errors: dict[str, list[str]] = {"deploy_key.title": ["can't be blank"]} if not title else {}
    if parsed is None:
        # Wording from the model's ssh_key validation and fingerprint presence (unverified as nested).
        errors["deploy_key.key"] = ["is invalid"]
        errors["deploy_key.fingerprint_sha256"] = ["cannot be generated"]
        raise validation(errors)
    sha, md5 = fingerprints(parsed[1])
    if any(k.fingerprint_sha256 == sha for k in state.deploy_keys.values()):
        errors["deploy_key.fingerprint_sha256"] = ["has already been taken"]
    if errors:
        raise validation(errors)
    expires = timestamp_param("expires_at", p.raw("expires_at")) if p.raw("expires_at") else None
    key = DeployKey(state.next_id("key"), title, sanitized, sha, md5, now_iso(), user.id, expires_at=expires)
    state.deploy_keys[key.id] = key
    return json_response(link_json(state, _enable(state, project, key, can_push)), 201)


@ROUTES.put("/projects/:id/deploy_keys/:key_id")
async def update_key(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    state, user, p = req.state, require_user(req), req.params
    p.at_least_one_of(["title", "can_push"])
    link = next((k for k in project.deploy_keys if str(k.key_id) == req.path["key_id"]), None)
    if link is None:
        raise message("404 Not found", 404)
    key = state.deploy_keys[link.key_id]
    if "can_push" in p:
        link.can_push = bool(p.bool("can_push"))
    if "title" in p and _may_retitle(state, user, key):
        key.title = str(p.str("title"))
    return json_response(link_json(state, link))


def _may_retitle(state: State, user: User, key: DeployKey) -> bool:
    """`update_deploy_key_title`: an administrator, or the maintainer of the one project using the key."""
    if user.is_admin:
        return True
    using = _projects_using(state, key.id)
    return (
        not key.public
        and len(using) <= 1
        and all(project_access(state, user, p) >= MAINTAINER for p in using)
    )


@ROUTES.post("/projects/:id/deploy_keys/:key_id/enable")
async def enable_key(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    state = req.state
    key_id = int(req.path["key_id"]) if req.path["key_id"].isdigit() else -1
    key = accessible(state, require_user(req), lambda k: k.id == key_id)
    if key is None:
        raise not_found("Deploy key")
    if all(link.key_id != key.id for link in project.deploy_keys):
        _enable(state, project, key, False)
    return json_response(key_json(key), 201)


@ROUTES.delete("/projects/:id/deploy_keys/:key_id")
async def disable_key(req: ApiRequest) -> Response:
    project = require_project(req, MAINTAINER)
    state = req.state
    link = _link(project, req.path["key_id"])
    project.deploy_keys.remove(link)
    key = state.deploy_keys[link.key_id]
    if not key.public and not _projects_using(state, key.id):
        del state.deploy_keys[key.id]  # DeployKeysProject#destroy_orphaned_deploy_key
    return no_content()


@ROUTES.get("/users/:user_id/project_deploy_keys")
async def user_project_keys(req: ApiRequest) -> Response:
    caller = require_user(req)
    state = req.state
    user = find_user(state, req.path["user_id"])
    if user is None:
        raise not_found("User")
    projects = _maintained(state, caller)
    if user.id != caller.id:
        projects = [p for p in projects if project_access(state, user, p) >= MAINTAINER]
    if not projects:
        raise forbidden("No common authorized project found")
    ids = {link.key_id for p in projects for link in p.deploy_keys}
    keys = [state.deploy_keys[i] for i in sorted(ids)]
    return paginate(req.http, req.params, keys, key_json)
