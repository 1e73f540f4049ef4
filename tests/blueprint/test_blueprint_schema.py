"""The rendered `.gitlab-ci.yml` is valid GitLab CI configuration for every kind of variant, with the jobs
each variant promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from provisioner.blueprint import render
from tests.blueprint.pipelines import KEY_SIGNING, PROJECT, jobs, pipeline

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "gitlab-ci-schema.json"

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults (signing auto)": {},
    "signing keyless on a self-managed Sigstore": {
        "signing": "keyless",
        "sigstore_instance_url": "https://tuf.sigstore.example.com",
    },
    "signing with a key": KEY_SIGNING,
    "signing off": {"signing": "off"},
    "setuptools": {"build_backend": "setuptools"},
    "custom images, digest and runner tags": {
        "python_image": "registry.example.com:5000/mirror/python",
        "python_image_suffix": "",
        "release_image_digest": "sha256:" + "ab" * 32,
        "runner_tags": ["docker", "linux-amd64"],
    },
    "one python version": {"python_versions": ["3.12"]},
    "four python versions, signing off, other registry": {
        "python_versions": ["3.10", "3.11", "3.12", "3.13"],
        "signing": "off",
        "registry_project": "platform%2Fpackages",
    },
    "GitLab and PyPI": {"publish_to": ["gitlab", "pypi"]},
    "TestPyPI only, without attestations, key signing": {
        **KEY_SIGNING,
        "publish_to": ["pypi"],
        "pypi_upload_url": "https://test.pypi.org/legacy/",
        "pypi_audience": "testpypi",
        "pypi_attestations": False,
    },
}


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@pytest.mark.parametrize("variables", VARIANTS.values(), ids=VARIANTS.keys())
def test_rendered_pipeline_validates_against_gitlab_schema(
    validator: Draft7Validator, variables: dict[str, Any]
) -> None:
    config = pipeline(variables)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(config)]
    assert errors == []
    # Every `needs` names a job of this file (a schema check cannot see that).
    for name, job in jobs(config).items():
        for need in job.get("needs", []):
            assert (need if isinstance(need, str) else need["job"]) in jobs(config), name


def test_schema_check_catches_a_mistyped_key(validator: Draft7Validator) -> None:
    config = pipeline({})
    config["test"]["stag"] = "test"
    assert any("'stag' was unexpected" in e.message for e in validator.iter_errors(config))


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, {"sign", "verify", "publish", "publish-signatures", "consumer-verify"}),
        (KEY_SIGNING, {"sign", "verify", "publish", "publish-signatures", "consumer-verify"}),
        ({"signing": "off"}, {"publish", "consumer-verify"}),
        (
            {"publish_to": ["gitlab", "pypi"]},
            {"sign", "verify", "publish", "publish-pypi", "publish-signatures", "consumer-verify"},
        ),
        ({"publish_to": ["pypi"], "signing": "off"}, {"publish-pypi"}),
    ],
    ids=["auto", "key", "off", "gitlab and pypi", "pypi only"],
)
def test_each_variant_has_its_release_jobs(variables: dict[str, Any], expected: set[str]) -> None:
    config = pipeline(variables)
    assert set(jobs(config)) == {"test", "build", *expected}
    used = {job["stage"] for job in jobs(config).values()}
    assert set(config["stages"]) == used  # no empty stage, no job in a stage that is not declared


def test_signing_off_never_mentions_signatures() -> None:
    text = render("python-package", {"signing": "off"}, project_path=PROJECT).file(".gitlab-ci.yml").text
    for word in ("sigstore", "SIGSTORE_ID_TOKEN", "SIGNER_ID", "SIGNING_KEY", "signatures/", "openssl"):
        assert word not in text
    assert pipeline({"signing": "off"})["publish"]["needs"] == ["build"]


def test_publish_jobs_run_in_the_environments_the_manifest_declares() -> None:
    for variables in VARIANTS.values():
        rendering = render("python-package", variables, project_path=PROJECT)
        config = pipeline(variables)
        used = {job["environment"]["name"] for job in jobs(config).values() if "environment" in job}
        assert used == set(rendering.environments), variables
        for job in jobs(config).values():
            if job["stage"] == "publish":
                assert job["environment"]["deployment_tier"] == "production"


def test_test_job_reports_junit_and_cobertura_over_the_version_matrix() -> None:
    config = pipeline({"python_versions": ["3.13", "3.9", "3.10"], "python_image": "mirror/python"})
    test = config["test"]
    assert test["parallel"]["matrix"] == [{"PYTHON_VERSION": ["3.9", "3.10", "3.13"]}]
    assert test["image"] == "mirror/python:$PYTHON_VERSION-bookworm"
    assert test["artifacts"]["reports"] == {
        "junit": "junit.xml",
        "coverage_report": {"coverage_format": "cobertura", "path": "coverage.xml"},
    }
    assert config["variables"]["PYTHON_IMAGE"] == "mirror/python:3.13-bookworm"  # the newest, numerically


def test_runner_tags_apply_to_every_job_only_when_given() -> None:
    assert "tags" not in pipeline({})["default"]
    assert pipeline({"runner_tags": ["docker", "x86"]})["default"]["tags"] == ["docker", "x86"]


def test_publishing_goes_to_the_chosen_registry_with_the_job_token() -> None:
    config = pipeline({"registry_project": "1234", "signatures_package": "demo-sigs"})
    assert config["variables"]["REGISTRY_PROJECT"] == "1234"
    assert config["variables"]["SIGNATURES_PACKAGE"] == "demo-sigs"
    publish = config["publish"]
    assert publish["variables"]["TWINE_USERNAME"] == "gitlab-ci-token"
    assert publish["variables"]["TWINE_PASSWORD"] == "$CI_JOB_TOKEN"
    assert (
        publish["variables"]["REGISTRY_PYPI"] == "${CI_API_V4_URL}/projects/${REGISTRY_PROJECT}/packages/pypi"
    )
    assert "/packages/generic/${SIGNATURES_PACKAGE}/" in "\n".join(config["publish-signatures"]["script"])
