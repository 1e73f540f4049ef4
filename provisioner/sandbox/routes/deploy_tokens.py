"""Project and group deploy tokens; the token is shown only by the create answer (REFERENCE 2.8)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import expired_date, require_group, require_project
from provisioner.sandbox.http import json_response, no_content, not_found, paginate, param_error
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, DeployToken

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


def deploy_token_json(token: DeployToken, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "username": token.username,
        "expires_at": token.expires_at,
        "revoked": token.revoked,
        "expired": expired_date(token.expires_at),
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
            tokens = [t for t in tokens if (not t.revoked) == active]
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
            expires_at=p.str("expires_at"),
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
