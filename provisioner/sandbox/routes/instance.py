"""Instance and identity endpoints (REFERENCE 2.15)."""

from __future__ import annotations

from starlette.responses import Response

from provisioner.sandbox.auth import require_user
from provisioner.sandbox.http import json_response, origin
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.views import token_json, user_full

ROUTES = Routes()
ANY_SCOPE = (
    "api",
    "read_api",
    "read_user",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "create_runner",
    "manage_runner",
    "self_rotate",
    "sudo",
    "admin_mode",
)


def version_json(version: str, revision: str) -> dict[str, object]:
    return {
        "version": version,
        "revision": revision,
        "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None, "version": None},
        "enterprise": version.endswith("-ee"),
    }


@ROUTES.get("/version", scopes=(*ANY_SCOPE,))
async def version(req: ApiRequest) -> Response:
    return json_response(version_json(req.state.version, req.state.revision))


@ROUTES.get("/metadata", scopes=(*ANY_SCOPE,))
async def metadata(req: ApiRequest) -> Response:
    return json_response(version_json(req.state.version, req.state.revision))


@ROUTES.get("/user", scopes=("api", "read_api", "read_user"))
async def current_user(req: ApiRequest) -> Response:
    user = require_user(req)
    return json_response(user_full(user, origin(req.http), viewer_is_admin=user.is_admin))


# Guessed: any scope may read its own token (it is how clients check scopes before writing).
@ROUTES.get("/personal_access_tokens/self", scopes=ANY_SCOPE)
async def token_self(req: ApiRequest) -> Response:
    require_user(req)
    assert req.caller is not None
    return json_response(token_json(req.caller.token))
