"""`provisioner validate` (success path; failures are the corpus) and `provisioner schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.facets import inventory_sections
from provisioner.inventory import inventory_json_schema
from tests.inventory.conftest import WriteFiles

GOOD = """\
    version: 1
    include: [teams/*.yaml]
    defaults:
      settings: {build_timeout: 3600, auto_cancel_pending_pipelines: enabled}
    groups:
      platform:
        variables: {REGION: eu-west-1}
        group_variables:
          prune: true
          SHARED: {value: shared-value}
      search: {}
    projects:
      platform/billing:
        blueprint: python-package
        blueprint_vars: {distribution_name: billing}
        settings: {only_allow_merge_if_pipeline_succeeds: true, build_timeout: null}
        variables:
          prune: false
          PIP_INDEX_URL: https://pypi.example/simple
          PYPI_TOKEN: {secret: "env:PYPI_TOKEN", masked: true, protected: true}
          API_URL:
            - {value: "https://api.example", environment_scope: production}
            - {value: "https://staging.api.example", environment_scope: staging}
        runners: {shared_runners_enabled: false, create: [{description: billing, tags: [docker]}]}
        registry:
          cleanup_policy: {cadence: 7d, keep_n: 10, older_than: 14d}
          deploy_tokens: [{name: pull, scopes: [read_registry], expires_at: 2030-01-01}]
        protection:
          default_branch: {push_access_level: no_one}
          tags: {"v*": {create_access_level: maintainer}}
      search/api:
    """


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands read settings (for the log file) before anything else: never the user's own."""
    monkeypatch.setenv("PROVISIONER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("PROVISIONER_LOG_FILE", str(tmp_path / "provisioner.log"))


def read_yaml(text: str) -> Any:
    import textwrap

    return YAML(typ="safe", pure=True).load(textwrap.dedent(text))


def test_validate_reports_the_counts(write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    main = write_files(
        {"inventory.yaml": GOOD, "teams/other.yaml": "version: 1\nprojects: {other/tool: {}}\n"}
    )
    monkeypatch.setenv("PYPI_TOKEN", "pypi-t0ken-value")

    result = CliRunner().invoke(app, ["validate", "--inventory", str(main)])

    assert result.exit_code == 0, result.output
    assert result.output == "ok: 3 projects, 1 group\n"


def test_validate_prints_one_line_per_problem(write_files: WriteFiles) -> None:
    main = write_files(
        {"inventory.yaml": "version: 1\nprojects:\n  a/b: {settings: {build_timout: 1, public_jobs: 2}}\n"}
    )

    result = CliRunner().invoke(app, ["validate", "--inventory", str(main)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{main}:3:20: projects.a/b.settings.build_timout: "
        "unknown key 'build_timout'; did you mean 'build_timeout'?",
        f"{main}:3:50: projects.a/b.settings.public_jobs: expected true or false",
        "2 problems in the input; nothing was sent to GitLab.",
    ]


def test_a_missing_inventory_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", "--inventory", str(tmp_path / "nope.yaml")])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory",
        "1 problem in the input; nothing was sent to GitLab.",
    ]


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = inventory_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_exported_schema_accepts_a_good_inventory(validator: jsonschema.protocols.Validator) -> None:
    data = read_yaml(GOOD)
    data["projects"]["platform/billing"]["registry"]["deploy_tokens"][0]["expires_at"] = (
        "2030-01-01"  # JSON has no dates
    )
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["defaults"]["settings"].update(build_timout=3600), "Additional properties"),
        (lambda d: d["defaults"]["settings"].update(build_timeout=60), "less than the minimum of 600"),
        (lambda d: d["defaults"]["settings"].update(merge_method="squash"), "is not one of ['merge'"),
        (lambda d: d["projects"].update({"a/b": []}), "is not of type 'object'"),
        (lambda d: d["projects"]["platform/billing"]["variables"].update({"BAD-KEY": "x"}), "does not match"),
        (
            lambda d: d["projects"]["platform/billing"]["variables"].update(prune="yes"),
            "is not of type 'boolean'",
        ),
        (lambda d: d["groups"]["platform"]["variables"].update(X={"maskd": True}), "is not valid under any"),
        (lambda d: d.update(version=2), "was expected"),
    ],
)
def test_the_exported_schema_rejects_a_bad_inventory(
    validator: jsonschema.protocols.Validator, change: Any, complaint: str
) -> None:
    data = read_yaml(GOOD)
    data["projects"]["platform/billing"]["registry"]["deploy_tokens"][0]["expires_at"] = "2030-01-01"
    change(data)
    messages = [message for error in validator.iter_errors(data) for message in _messages(error)]
    assert any(complaint in message for message in messages), messages


def _messages(error: jsonschema.ValidationError) -> list[str]:
    """The error and, for anyOf, why each alternative failed."""
    return [error.message, *(message for cause in error.context or [] for message in _messages(cause))]


def test_the_exported_schema_carries_the_field_docstrings() -> None:
    schema = inventory_json_schema()
    assert schema["$defs"]["Settings"]["properties"]["build_timeout"]["description"].startswith("Job timeout")
    assert "prune" in schema["$defs"]["Variables"]["properties"]


def test_schema_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "inventory.schema.json"
    result = CliRunner().invoke(app, ["schema", "--out", str(out)])

    assert result.exit_code == 0, result.output
    expected = inventory_json_schema(inventory_sections())  # with the registered facets' own sections
    assert json.loads(out.read_text()) == expected
    assert json.loads(CliRunner().invoke(app, ["schema"]).output) == expected
    assert "pipeline_schedules" in expected["$defs"]["Project"]["properties"]


def test_validate_reads_inventory_yaml_in_the_current_folder(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = write_files({"inventory.yaml": "version: 1\nprojects: {a/b: {}}\n"})
    monkeypatch.chdir(main.parent)

    result = CliRunner().invoke(app, ["validate"])

    assert (result.exit_code, result.output) == (0, "ok: 1 project, 0 groups\n")


SHARED_SECRET = """\
    version: 1
    include: [../shared/teams/*.yaml]
    projects:
      platform/billing:
        variables:
          API_KEY: {secret: "file:../shared/secrets/api-key", masked: true}
    """


def test_extra_roots_allow_named_folders_outside_the_inventorys(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = write_files(
        {
            "inventory/inventory.yaml": SHARED_SECRET,
            "shared/teams/search.yaml": "version: 1\nprojects: {search/api: {}}\n",
            "shared/secrets/api-key": "shared-api-key-value\n",
        }
    )
    shared = main.parent.parent / "shared"
    (shared / "secrets" / "api-key").chmod(0o600)

    refused = CliRunner().invoke(app, ["validate", "--inventory", str(main)])
    assert refused.exit_code == 1
    assert refused.stderr.count("is outside the inventory's folder") == 2, refused.stderr

    monkeypatch.setenv("PROVISIONER_EXTRA_ROOTS", f"/nonexistent:{shared}")
    allowed = CliRunner().invoke(app, ["validate", "--inventory", str(main)])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout == "ok: 2 projects, 0 groups\n"


def test_a_file_secret_others_can_read_is_a_warning_with_its_place(write_files: WriteFiles) -> None:
    main = write_files(
        {
            "inventory.yaml": SHARED_SECRET.replace("../shared/", ""),
            "teams/search.yaml": "version: 1\nprojects: {search/api: {}}\n",
            "secrets/api-key": "shared-api-key-value\n",
        }
    )
    (main.parent / "secrets" / "api-key").chmod(0o644)
    for command in (["validate"], ["plan"]):
        result = CliRunner().invoke(app, [*command, "--inventory", str(main)], env={"PROVISIONER_TOKEN": ""})
        assert result.stderr.startswith(
            f"warning: {main}:6:25: projects.platform/billing.variables.API_KEY.secret: "
            "file:secrets/api-key can be read by other users of this machine: chmod 600 it\n"
        ), result.stderr
        assert "shared-api-key-value" not in result.output
    (main.parent / "secrets" / "api-key").chmod(0o600)
    quiet = CliRunner().invoke(app, ["validate", "--inventory", str(main)])
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.output
