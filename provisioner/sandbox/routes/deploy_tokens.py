"""Project and group deploy tokens; the token is shown only by the create answer (REFERENCE 2.8)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import require_group, require_project
from provisioner.sandbox.http import json_response, no_content, not_found, paginate, param_error
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, DeployToken
from provisioner.sandbox.times import instant, timestamp_param

ROUTES = Routes()
DEPLOY_SCOPES = (
    "read_repository",
    "read_registry",
    "write_registry",
    "read_package_registry",
    "write_package_registry",
    "read_virtual_registry",
    "write_virtual_registry",
)


def _expired(token: DeployToken) -> bool:
    return token.expires_at is not None and instant(token.expires_at) <= datetime.now(UTC)


def deploy_token_json(token: DeployToken, *, with_secret: bool = False) -> dict[str, Any]:
    """Entities::DeployToken: `expires_at` is a datetime column, `2026-12-04T00:00:00.000Z` for a token
    created with `2026-12-04` [G:lib/api/entities/deploy_token.rb, doc/api/deploy_tokens.md]."""
    data: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "username": token.username,
        "expires_at": token.expires_at,
        "revoked": token.revoked,
        "expired": _expired(token),
        "scopes": list(token.scopes),
    }
    if with_secret:
        data["token"] = token.secret
    return data


def _owner(req: ApiRequest) -> tuple[str, int]:
    if req.route.template.startswith("/api/v4/projects"):
        return "project_id", require_project(req, MAINTAINER).id
    return "group_id", require_group(req, OWNER).id


def _tokens(req: ApiRequest, field: str, owner_id: int) -> list[DeployToken]:
    return sorted(
        (t for t in req.state.deploy_tokens.values() if getattr(t, field) == owner_id), key=lambda t: t.id
    )


for kind in ("projects", "groups"):

    @ROUTES.get(f"/{kind}/:id/deploy_tokens")
    async def list_deploy_tokens(req: ApiRequest) -> Response:
        tokens = _tokens(req, *_owner(req))
        if (active := req.params.bool("active")) is not None:
            # DeployTokens::TokensFinder: active = neither revoked nor expired.
            tokens = [t for t in tokens if (not t.revoked and not _expired(t)) == active]
        return paginate(req.http, req.params, tokens, deploy_token_json)

    @ROUTES.get(f"/{kind}/:id/deploy_tokens/:token_id")
    async def get_deploy_token(req: ApiRequest) -> Response:
        token = next((t for t in _tokens(req, *_owner(req)) if str(t.id) == req.path["token_id"]), None)
        if token is None:
            raise not_found("Deploy Token")
        return json_response(deploy_token_json(token))

    @ROUTES.post(f"/{kind}/:id/deploy_tokens")
    async def create_deploy_token(req: ApiRequest) -> Response:
        field, owner_id = _owner(req)
        p = req.params
        p.require("name", "scopes")
        scopes = p.list("scopes")
        if not scopes or any(s not in DEPLOY_SCOPES for s in scopes):
            raise param_error("scopes does not have a valid value")
        token_id = req.state.next_id("deploy_token")
        token = DeployToken(
            id=token_id,
            name=p.str("name"),
            username=p.str("username") or f"gitlab+deploy-token-{token_id}",
            secret="gldt-" + secrets.token_urlsafe(15),
            scopes=scopes,
            expires_at=timestamp_param("expires_at", p.raw("expires_at")) if p.raw("expires_at") else None,
        )
        setattr(token, field, owner_id)
        req.state.deploy_tokens[token.id] = token
        return json_response(deploy_token_json(token, with_secret=True), 201)

    @ROUTES.delete(f"/{kind}/:id/deploy_tokens/:token_id")
    async def delete_deploy_token(req: ApiRequest) -> Response:
        token = next((t for t in _tokens(req, *_owner(req)) if str(t.id) == req.path["token_id"]), None)
        if token is None:
            raise not_found("Deploy Token")
        del req.state.deploy_tokens[token.id]
        return no_content()
