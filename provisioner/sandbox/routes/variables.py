"""Project and group CI/CD variables (REFERENCE 2.3)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from provisioner.sandbox.auth import require_group, require_project
from provisioner.sandbox.http import (
    Params,
    json_response,
    message,
    no_content,
    not_found,
    paginate,
    validation,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import MAINTAINER, OWNER, State, Variable
from provisioner.sandbox.versions import has

ROUTES = Routes()
KEY = re.compile(r"[A-Za-z0-9_]{1,255}")
# The classic masking rule (REFERENCE 2.3); anything it accepts, newer relaxed rules accept too.
MASKABLE = re.compile(r"[a-zA-Z0-9_+=/@:.~-]{8,}")
TYPES = ("env_var", "file")


def variable_json(variable: Variable, state: State) -> dict[str, Any]:
    data = {
        "variable_type": variable.variable_type,
        "key": variable.key,
        "value": None if variable.hidden else variable.value,
        "protected": variable.protected,
        "masked": variable.masked,
        "hidden": variable.hidden,
        "raw": variable.raw,
        "environment_scope": variable.environment_scope,
        "description": variable.description,
    }
    if not has(state, "rest:Variable.hidden"):  # 17.4 [G:doc/api/project_level_variables.md]
        del data["hidden"]
    return data


def _owner_variables(req: ApiRequest) -> list[Variable]:
    if req.route.template.startswith("/api/v4/projects"):
        return require_project(req, MAINTAINER).variables
    # Group variables need `admin_cicd_variables` on the group, which GroupPolicy gives its Owners
    # [G:lib/api/group_variables.rb, app/policies/group_policy.rb].
    return require_group(req, OWNER).variables


def _find(req: ApiRequest, variables: list[Variable]) -> Variable:
    key = req.path["key"]
    candidates = [v for v in variables if v.key == key]
    scope = (req.params.hash("filter") or {}).get("environment_scope")
    if scope is not None:
        candidates = [v for v in candidates if v.environment_scope == scope]
    if not candidates:
        raise not_found("Variable")  # wording unverified (REFERENCE 2.3)
    if len(candidates) > 1:
        raise message(
            "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
            409,
        )
    return candidates[0]


def _validate(variable: Variable, others: list[Variable]) -> None:
    errors: dict[str, list[str]] = {}
    if not KEY.fullmatch(variable.key):
        errors["key"] = ["can contain only letters, digits and '_'."]
    elif any(v.key == variable.key and v.environment_scope == variable.environment_scope for v in others):
        errors["key"] = [f"({variable.key}) has already been taken"]
    if variable.masked and not MASKABLE.fullmatch(variable.value):
        errors["value"] = ["is invalid"]
    if variable.description is not None and len(variable.description) > 255:
        errors["description"] = ["is too long (maximum is 255 characters)"]
    if errors:
        raise validation(errors)


def _apply(variable: Variable, p: Params) -> None:
    if "value" in p:
        variable.value = p.str("value", "")
    variable.variable_type = p.enum("variable_type", TYPES, variable.variable_type)
    variable.protected = p.bool("protected", variable.protected)
    variable.raw = p.bool("raw", variable.raw)
    variable.environment_scope = p.str("environment_scope", variable.environment_scope) or "*"
    if "description" in p:
        variable.description = p.str("description")
    masked = p.bool("masked", variable.masked)
    if variable.hidden and not masked:
        # Guessed wording: a hidden variable stays masked.
        raise validation({"masked": ["cannot be false if the variable is hidden"]})
    variable.masked = masked


for kind in ("projects", "groups"):

    @ROUTES.get(f"/{kind}/:id/variables")
    async def list_variables(req: ApiRequest) -> Response:
        variables = _owner_variables(req)
        return paginate(req.http, req.params, variables, lambda v: variable_json(v, req.state))

    @ROUTES.get(f"/{kind}/:id/variables/:key")
    async def get_variable(req: ApiRequest) -> Response:
        return json_response(variable_json(_find(req, _owner_variables(req)), req.state))

    @ROUTES.post(f"/{kind}/:id/variables")
    async def create_variable(req: ApiRequest) -> Response:
        variables = _owner_variables(req)
        p = req.params
        p.require("key", "value")
        variable = Variable(key=p.str("key"), value=p.str("value"))
        if has(req.state, "rest:Variable.masked_and_hidden") and p.bool("masked_and_hidden", False):
            variable.masked = variable.hidden = True
        _apply(variable, p)
        _validate(variable, variables)
        variables.append(variable)
        return json_response(variable_json(variable, req.state), 201)

    @ROUTES.put(f"/{kind}/:id/variables/:key")
    async def update_variable(req: ApiRequest) -> Response:
        variables = _owner_variables(req)
        variable = _find(req, variables)
        updated = Variable(**vars(variable))
        _apply(updated, req.params)
        _validate(updated, [v for v in variables if v is not variable])
        vars(variable).update(vars(updated))
        return json_response(variable_json(variable, req.state))

    @ROUTES.delete(f"/{kind}/:id/variables/:key")
    async def delete_variable(req: ApiRequest) -> Response:
        variables = _owner_variables(req)
        variable = _find(req, variables)
        variables.remove(variable)
        return no_content()
