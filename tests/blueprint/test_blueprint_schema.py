"""The rendered `.gitlab-ci.yml` is valid GitLab CI configuration, for every kind of manifest variant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from provisioner.blueprint import render

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "gitlab-ci-schema.json"

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "signing off": {"signing": False},
    "setuptools": {"build_backend": "setuptools"},
    "custom images and runner tags": {
        "python_image": "registry.example.com:5000/mirror/python",
        "cosign_image": "registry.example.com/mirror/alpine:3.22",
        "runner_tags": ["docker", "linux-amd64"],
    },
    "one python version": {"python_versions": ["3.12"]},
    "four python versions, signing off, other registry": {
        "python_versions": ["3.10", "3.11", "3.12", "3.13"],
        "signing": False,
        "registry_project": "platform%2Fpackages",
    },
}


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def pipeline(variables: dict[str, Any]) -> Any:
    rendering = render("python-package", variables, project_path="platform/demo-pkg")
    return YAML(typ="safe").load(rendering.file(".gitlab-ci.yml").text)


@pytest.mark.parametrize("variables", VARIANTS.values(), ids=VARIANTS.keys())
def test_rendered_pipeline_validates_against_gitlab_schema(
    validator: Draft7Validator, variables: dict[str, Any]
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(pipeline(variables))]
    assert errors == []


def test_schema_check_catches_a_mistyped_key(validator: Draft7Validator) -> None:
    config = pipeline({})
    config["test"]["stag"] = "test"
    assert any("'stag' was unexpected" in e.message for e in validator.iter_errors(config))


def jobs(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if isinstance(v, dict) and not k.startswith(".") and "stage" in v}


def test_signing_on_has_every_release_job_with_sigstore_token() -> None:
    config = pipeline({})
    assert set(jobs(config)) == {
        "test",
        "build",
        "sign",
        "verify",
        "publish-pypi",
        "publish-signatures",
        "consumer-verify",
    }
    assert config["stages"] == ["test", "build", "sign", "verify", "publish", "consume"]
    assert config["sign"]["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    assert "@refs/tags/${CI_COMMIT_TAG}" in config["variables"]["SIGNER_ID"]
    consumer = "\n".join(config["consumer-verify"]["script"])
    assert "sigstore verify identity" in consumer and "--cert-identity" in consumer


def test_signing_off_still_tests_builds_and_publishes_but_never_signs() -> None:
    config = pipeline({"signing": False})
    assert set(jobs(config)) == {"test", "build", "publish-pypi", "consumer-verify"}
    text = render("python-package", {"signing": False}, project_path="g/p").file(".gitlab-ci.yml").text
    for word in ("cosign", "sigstore", "SIGSTORE_ID_TOKEN", "COSIGN_IMAGE", "SIGNER_ID", ".bundle"):
        assert word not in text
    assert config["publish-pypi"]["needs"] == ["build"]


def test_release_jobs_run_only_on_protected_version_tags() -> None:
    config = pipeline({})
    rule = config[".release"]["rules"]
    assert rule == [
        {"if": '$CI_COMMIT_TAG =~ /^v?[0-9]+\\.[0-9]+\\.[0-9]+/ && $CI_COMMIT_REF_PROTECTED == "true"'}
    ]
    for name in ("sign", "verify", "publish-pypi", "publish-signatures", "consumer-verify"):
        extends = config[name]["extends"]
        assert ".release" in ([extends] if isinstance(extends, str) else extends), name
    for name in ("test", "build"):
        assert "rules" not in config[name]


def test_test_job_reports_junit_and_cobertura_over_the_version_matrix() -> None:
    config = pipeline({"python_versions": ["3.13", "3.9", "3.10"], "python_image": "mirror/python"})
    test = config["test"]
    assert test["parallel"]["matrix"] == [{"PYTHON_VERSION": ["3.9", "3.10", "3.13"]}]
    assert test["image"] == "mirror/python:$PYTHON_VERSION"
    assert test["artifacts"]["reports"] == {
        "junit": "junit.xml",
        "coverage_report": {"coverage_format": "cobertura", "path": "coverage.xml"},
    }
    assert test["coverage"] == "/TOTAL.*? (100(?:\\.0+)?\\%|[1-9]?\\d(?:\\.\\d+)?\\%)$/"
    assert config["variables"]["PYTHON_IMAGE"] == "mirror/python:3.13"  # the newest, numerically


def test_runner_tags_apply_to_every_job_only_when_given() -> None:
    assert "tags" not in pipeline({})["default"]
    assert pipeline({"runner_tags": ["docker", "x86"]})["default"]["tags"] == ["docker", "x86"]


def test_publishing_goes_to_the_chosen_registry_with_the_job_token() -> None:
    config = pipeline({"registry_project": "1234", "signatures_package": "demo-sigs"})
    assert config["variables"]["REGISTRY_PROJECT"] == "1234"
    assert config["variables"]["SIGNATURES_PACKAGE"] == "demo-sigs"
    publish = config["publish-pypi"]
    assert publish["variables"]["TWINE_PASSWORD"] == "$CI_JOB_TOKEN"
    assert "/projects/${REGISTRY_PROJECT}/packages/pypi" in publish["script"][-1]
    assert "/packages/generic/${SIGNATURES_PACKAGE}/" in "\n".join(config["publish-signatures"]["script"])
