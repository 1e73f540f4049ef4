"""Instance and identity endpoints (REFERENCE 2.15)."""

from __future__ import annotations

from starlette.responses import Response

from provisioner.sandbox.auth import require_user
from provisioner.sandbox.http import json_response, no_content, origin
from provisioner.sandbox.routes.users import TOKEN_SCOPES
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.views import token_json, user_full

ROUTES = Routes()
# Every token scope: these routes answer any valid token.
ANY_SCOPE = TOKEN_SCOPES


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


# Any scope may revoke its own token too [G:lib/api/personal_access_tokens/self_information.rb].
@ROUTES.delete("/personal_access_tokens/self", scopes=ANY_SCOPE)
async def revoke_token_self(req: ApiRequest) -> Response:
    """Revokes the token the request is made with: 204; from then on that token gets a 401."""
    require_user(req)
    assert req.caller is not None
    req.caller.token.revoked = True
    return no_content()
