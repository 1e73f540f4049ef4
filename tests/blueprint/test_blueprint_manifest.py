"""Manifests and variables: what the inventory loader's `check_vars` reports, and broken manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.blueprint import check_vars, list_blueprints, load_blueprint, resolve_variables
from provisioner.errors import InputError

PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwR8N1u0BijrKCXRzEmNhMo93XIst\n"
    "1FO9mJa79+hB1PVtGmMgRQ7tDUoGZl976tSCdLzPjIZGduy5J0XSno6mrw==\n"
    "-----END PUBLIC KEY-----\n"
)

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("all defaults", {"distribution_name": "demo"}, []),
    (
        "unknown variable with a suggestion",
        {"distribution_name": "demo", "signin": False},
        [("blueprint_vars.signin", "unknown variable for blueprint python-package; did you mean 'signing'?")],
    ),
    (
        "bool given as text",
        {"distribution_name": "demo", "pypi_attestations": "yes"},
        [("blueprint_vars.pypi_attestations", "true or false")],
    ),
    (
        "a choice given as YAML 1.1's false (signing: off)",
        {"distribution_name": "demo", "signing": False},
        [("blueprint_vars.signing", "expected one of auto, keyless, key, off, got false")],
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
    (
        "key signing without its public key",
        {"distribution_name": "demo", "signing": "key"},
        [("blueprint_vars", "signing: key needs signing_public_key")],
    ),
    (
        "a public key without key signing",
        {"distribution_name": "demo", "signing_public_key": PUBLIC_KEY},
        [("blueprint_vars", "signing_public_key is only for signing: key")],
    ),
    (
        "a Sigstore instance for auto signing",
        {"distribution_name": "demo", "sigstore_instance_url": "https://tuf.sigstore.example.com"},
        [("blueprint_vars", "sigstore_instance_url is only for signing: keyless")],
    ),
    (
        "release tools on a Python they do not support",
        {"distribution_name": "demo", "python_versions": ["3.9", "3.10"]},
        [("blueprint_vars", "the newest of python_versions must be 3.11 or later")],
    ),
    (
        "3.9 beside a newer version is fine",
        {"distribution_name": "demo", "python_versions": ["3.9", "3.12"]},
        [],
    ),
    (
        "a Python the test job's pip cannot run on",
        {"distribution_name": "demo", "python_versions": ["3.8", "3.12"]},
        [("blueprint_vars", "the oldest of python_versions must be 3.9 or later")],
    ),
    (
        "attestations for an index that does not take them",
        {
            "distribution_name": "demo",
            "publish_to": ["pypi"],
            "pypi_upload_url": "https://pypi.example.com/legacy/",
        },
        [("blueprint_vars", "PEP 740 attestations go to PyPI and TestPyPI only")],
    ),
    (
        "another index without attestations is fine",
        {
            "distribution_name": "demo",
            "publish_to": ["pypi"],
            "pypi_upload_url": "https://pypi.example.com/legacy/",
            "pypi_attestations": False,
        },
        [],
    ),
    (
        "a publishing target that does not exist",
        {"distribution_name": "demo", "publish_to": ["gitlab", "testpypi"]},
        [("blueprint_vars.publish_to", "item 1: 'testpypi' is not one of gitlab, pypi")],
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
    assert blueprint.manifest.variables["signing"].default == "auto"
    assert [f.policy for f in blueprint.manifest.files][:4] == [
        "managed",
        "managed",
        "managed",
        "managed-keys",
    ]


def test_manifest_mistakes_name_file_line_and_field(blueprint_root: Path) -> None:
    manifest = blueprint_root / "python-package" / "blueprint.yaml"
    text = manifest.read_text().replace("    type: bool\n", "    type: boolean\n", 1)
    manifest.write_text(text)
    with pytest.raises(InputError) as caught:
        load_blueprint("python-package", blueprint_root)
    [problem] = caught.value.problems
    assert problem.file == str(manifest)
    assert problem.field == "variables.pypi_attestations.type"
    assert problem.line == text.splitlines().index("    type: boolean") + 1
    assert check_vars("python-package", {}) == []  # the real blueprint is untouched


def test_manifest_rejects_policy_options_that_do_not_apply(blueprint_root: Path) -> None:
    manifest = blueprint_root / "python-package" / "blueprint.yaml"
    manifest.write_text(
        manifest.read_text().replace("    policy: managed\n", "    policy: managed\n    owned: [x]\n", 1)
    )
    with pytest.raises(InputError, match="owned and ensure_items are only for policy managed-keys"):
        load_blueprint("python-package", blueprint_root)
