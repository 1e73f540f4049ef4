"""The instance setting that enforces every project's job token allowlist (GitLab 17.6+, on by default
from 18.0): `enforce_ci_inbound_job_token_scope_enabled`."""

from __future__ import annotations

from provisioner.sandbox.seed import DANA_TOKEN

SCOPE = "/projects/data%2Fwarehouse/job_token_scope"
SETTINGS = "/application/settings"
INBOUND = '{ project(fullPath: "data/warehouse") { ciCdSettings { inboundJobTokenScopeEnabled } } }'


def _graphql_inbound(sandbox):
    return sandbox.graphql(INBOUND)["data"]["project"]["ciCdSettings"]["inboundJobTokenScopeEnabled"]


def test_an_administrator_turns_enforcement_on_and_off(sandbox):
    """PUT /application/settings is for administrators [G:lib/api/settings.rb `authenticated_as_admin!`];
    the attribute is a boolean that may not be null [G:app/models/application_setting.rb]."""
    assert sandbox.api.get(SETTINGS).json()["enforce_ci_inbound_job_token_scope_enabled"] is False
    dana = sandbox.as_user(DANA_TOKEN)
    assert dana.put(SETTINGS, json={"enforce_ci_inbound_job_token_scope_enabled": True}).status_code == 403
    assert sandbox.as_user(None).get(SETTINGS).status_code == 401
    bad = sandbox.api.put(SETTINGS, json={"enforce_ci_inbound_job_token_scope_enabled": "maybe"})
    assert bad.json() == {"error": "enforce_ci_inbound_job_token_scope_enabled is invalid"}
    on = sandbox.api.put(SETTINGS, json={"enforce_ci_inbound_job_token_scope_enabled": True})
    assert on.status_code == 200 and on.json()["enforce_ci_inbound_job_token_scope_enabled"] is True


def test_disabling_a_projects_allowlist_answers_204_and_does_not_stick_when_enforced(sandbox):
    """GET reads `Project#ci_inbound_job_token_scope_enabled?`, true while the instance enforces the
    allowlist; PATCH stores the project's own setting and answers 204 [G:lib/api/project_job_token_scope.rb,
    spec/lib/api/entities/project_job_token_scope_spec.rb 'inbound_enabled can not be changed at the
    project level', spec/models/project_spec.rb]. GraphQL's `inboundJobTokenScopeEnabled` reads the
    project's own setting [G:app/graphql/types/ci/ci_cd_setting_type.rb]."""
    assert sandbox.api.get(SCOPE).json()["inbound_enabled"] is False  # data/warehouse turned it off
    sandbox.api.put(SETTINGS, json={"enforce_ci_inbound_job_token_scope_enabled": True})
    assert sandbox.api.get(SCOPE).json() == {"inbound_enabled": True, "outbound_enabled": False}
    patched = sandbox.api.patch(SCOPE, json={"enabled": False})
    assert patched.status_code == 204 and patched.content == b""
    assert sandbox.api.get(SCOPE).json()["inbound_enabled"] is True
    assert _graphql_inbound(sandbox) is False
    sandbox.api.put(SETTINGS, json={"enforce_ci_inbound_job_token_scope_enabled": False})
    assert sandbox.api.get(SCOPE).json()["inbound_enabled"] is False


def test_the_serve_option_enforces_from_the_start(gitlab_at):
    """`sandbox serve --enforce-job-token-allowlist`: an instance as GitLab 18 sets it up (the 18.0
    migrations turn it on [G:db/migrate/*_enable_ci_job_token_allowlist_setting.rb])."""
    enforced = gitlab_at("18.0", enforce_job_token_allowlist=True)
    assert enforced.api.get(SCOPE).json()["inbound_enabled"] is True
    assert enforced.api.get(SETTINGS).json()["enforce_ci_inbound_job_token_scope_enabled"] is True


def test_before_17_6_there_is_no_such_setting(sandbox):
    """The setting came with 17.6 [G:doc/administration/settings/continuous_integration.md]: an older
    GitLab neither shows it nor applies it."""
    sandbox.api.put(SETTINGS, json={"enforce_ci_inbound_job_token_scope_enabled": True})
    sandbox.serve_version("17.4")
    assert "enforce_ci_inbound_job_token_scope_enabled" not in sandbox.api.get(SETTINGS).json()
    assert sandbox.api.get(SCOPE).json()["inbound_enabled"] is False
