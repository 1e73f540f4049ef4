"""`GET/PUT /application/settings`: the instance settings the sandbox models, administrators only
[G:lib/api/settings.rb `authenticated_as_admin!`, `declared_params(include_missing: false)`].

GitLab's entity has a few hundred settings; the sandbox answers the few it models (a client must not
expect the rest). An attribute the served version lacks is dropped from writes and reads, as Grape does.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import require_admin
from provisioner.sandbox.http import json_response, param_error
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import State
from provisioner.sandbox.versions import has

ROUTES = Routes()
ENFORCE = "enforce_ci_inbound_job_token_scope_enabled"
BOOLEANS = (ENFORCE,)


def enforced_job_token_allowlist(state: State) -> bool:
    """The administrator's "Enable and enforce job token allowlist for all projects" (17.6+)."""
    return has(state, f"setting:{ENFORCE}") and bool(state.settings.get(ENFORCE))


def settings_json(state: State) -> dict[str, Any]:
    data: dict[str, Any] = {"id": 1, "default_branch_name": None}
    for name in BOOLEANS:
        if has(state, f"setting:{name}"):
            data[name] = bool(state.settings.get(name))
    return data


@ROUTES.get("/application/settings")
async def get_settings(req: ApiRequest) -> Response:
    require_admin(req)
    return json_response(settings_json(req.state))


@ROUTES.put("/application/settings")
async def put_settings(req: ApiRequest) -> Response:
    require_admin(req)
    known = [name for name in BOOLEANS if has(req.state, f"setting:{name}")]
    # GitLab's at_least_one_of names every attribute it declares; the sandbox names the ones it models.
    req.params.at_least_one_of(known)
    values = {name: req.params.bool(name) for name in known if name in req.params}
    for name, value in values.items():
        if value is None:  # `allow_nil: false` [G:app/models/application_setting.rb]
            raise param_error(f"{name} is invalid")
    req.state.settings.update(values)
    return json_response(settings_json(req.state))
