"""Manifests and variables: what the inventory loader's `check_vars` reports, and broken manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.blueprint import check_vars, list_blueprints, load_blueprint, resolve_variables
from provisioner.errors import InputError

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("all defaults", {"distribution_name": "demo"}, []),
    (
        "unknown variable with a suggestion",
        {"distribution_name": "demo", "signin": False},
        [("blueprint_vars.signin", "unknown variable for blueprint python-package; did you mean 'signing'?")],
    ),
    (
        "bool given as text",
        {"distribution_name": "demo", "signing": "yes"},
        [("blueprint_vars.signing", "true or false")],
    ),
    (
        "version as a YAML number",
        {"distribution_name": "demo", "python_versions": [3.1]},
        [("blueprint_vars.python_versions", "item 0: expected text, got the number 3.1 (quote it")],
    ),
    (
        "list given as text",
        {"distribution_name": "demo", "runner_tags": "docker"},
        [("blueprint_vars.runner_tags", "a list")],
    ),
    (
        "version listed twice",
        {"distribution_name": "demo", "python_versions": ["3.12", "3.12"]},
        [("blueprint_vars.python_versions", "item 1: '3.12' is listed twice")],
    ),
    (
        "empty version list",
        {"distribution_name": "demo", "python_versions": []},
        [("blueprint_vars.python_versions", "at least 1")],
    ),
    (
        "choice with a suggestion",
        {"distribution_name": "demo", "build_backend": "hatch"},
        [
            (
                "blueprint_vars.build_backend",
                "'hatch' is not one of hatchling, setuptools; did you mean 'hatchling'?",
            )
        ],
    ),
    (
        "pattern",
        {"distribution_name": "demo", "import_name": "my-pkg"},
        [("blueprint_vars.import_name", "does not match")],
    ),
    (
        "bad distribution name",
        {"distribution_name": "-demo"},
        [("blueprint_vars.distribution_name", "does not match")],
    ),
]


@pytest.mark.parametrize(("variables", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_vars(variables: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    problems = check_vars("python-package", variables)
    assert [field for field, _ in problems] == [field for field, _ in expected]
    for (_, message), (_, fragment) in zip(problems, expected, strict=True):
        assert fragment in message


def test_unknown_blueprint_suggests_the_closest() -> None:
    assert check_vars("python-pakage", {}) == [
        ("blueprint", "unknown blueprint 'python-pakage'; did you mean 'python-package'?")
    ]


def test_values_derived_from_the_project_are_checked_once_the_project_is_known() -> None:
    assert check_vars("python-package", {}) == []  # the loader may not know the project yet
    assert check_vars("python-package", {}, project_path="group/Billing.API") == []
    problems = check_vars("python-package", {}, project_path="group/api_")
    assert [f for f, _ in problems] == ["blueprint_vars.distribution_name"]
    assert "derived value 'api_' is not usable" in problems[0][1]


def test_derived_defaults_follow_the_distribution_name() -> None:
    blueprint = load_blueprint("python-package")
    values = resolve_variables(blueprint, {}, project_path="platform/Billing.API").values
    assert values["distribution_name"] == "billing.api"
    assert values["import_name"] == "billing_api"
    assert values["signatures_package"] == "billing_api-signatures"
    assert (
        resolve_variables(blueprint, {"import_name": "bapi"}, project_path="g/billing").values["import_name"]
        == "bapi"
    )


def test_list_blueprints_reads_every_manifest() -> None:
    [blueprint] = list_blueprints()
    assert blueprint.name == "python-package"
    assert blueprint.manifest.variables["signing"].default is True
    assert [f.policy for f in blueprint.manifest.files][:2] == ["managed", "managed-keys"]


def test_manifest_mistakes_name_file_line_and_field(blueprint_root: Path) -> None:
    manifest = blueprint_root / "python-package" / "blueprint.yaml"
    text = manifest.read_text().replace("    type: bool\n", "    type: boolean\n", 1)
    manifest.write_text(text)
    with pytest.raises(InputError) as caught:
        load_blueprint("python-package", blueprint_root)
    [problem] = caught.value.problems
    assert problem.file == str(manifest)
    assert problem.field == "variables.signing.type"
    assert problem.line == text.splitlines().index("    type: boolean") + 1
    assert check_vars("python-package", {}) == []  # the real blueprint is untouched


def test_manifest_rejects_policy_options_that_do_not_apply(blueprint_root: Path) -> None:
    manifest = blueprint_root / "python-package" / "blueprint.yaml"
    manifest.write_text(
        manifest.read_text().replace("    policy: managed\n", "    policy: managed\n    owned: [x]\n", 1)
    )
    with pytest.raises(InputError, match="owned and ensure_items are only for policy managed-keys"):
        load_blueprint("python-package", blueprint_root)
