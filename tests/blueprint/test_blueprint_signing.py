"""Signing by target (issue 14, defect 4) and PyPI trusted publishing, as the rendered pipeline says them."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.blueprint import load_blueprint
from tests.blueprint.pipelines import KEY_SIGNING, PUBLIC_KEY, ci_text, jobs, pipeline, rules_of

ON_GITLAB_COM_PUBLIC = '$CI_SERVER_HOST == "gitlab.com" && $CI_PROJECT_VISIBILITY == "public"'
SIGNING_JOBS = ("sign", "verify", "publish-signatures")


def test_signing_is_a_typed_choice_defaulting_to_auto() -> None:
    variables = load_blueprint("python-package").manifest.variables
    assert (variables["signing"].type, variables["signing"].default) == ("str", "auto")
    assert variables["signing"].choices == ["auto", "keyless", "key", "off"]
    assert (variables["sigstore_instance_url"].default, variables["signing_public_key"].default) == ("", "")


def test_auto_signs_public_projects_on_gitlab_com_only_and_says_why() -> None:
    """Keyless signing used to run everywhere: it fails off GitLab.com, and on GitLab.com it writes a private
    project's URL and tag to the public transparency log."""
    config = pipeline({})
    for name in SIGNING_JOBS:
        [rule] = rules_of(config, name)
        assert rule["if"].endswith(f" && {ON_GITLAB_COM_PUBLIC}"), name
    [release] = rules_of(config, "publish")
    assert "CI_SERVER_HOST" not in release["if"]  # publishing goes on without signing
    assert {"job": "verify", "artifacts": False, "optional": True} in config["publish"]["needs"]
    consumer = rules_of(config, "consumer-verify")
    assert consumer[0]["if"].endswith(ON_GITLAB_COM_PUBLIC) and consumer[0]["variables"] == {
        "VERIFY_SIGNATURES": "true"
    }
    assert "CI_SERVER_HOST" not in consumer[1]["if"]
    text = ci_text({})
    assert "public transparency log" in text and "trusts GitLab.com" in text and "private or internal" in text


@pytest.mark.parametrize("variables", [{"signing": "keyless"}, KEY_SIGNING], ids=["keyless", "key"])
def test_chosen_signing_runs_on_every_release_and_publishing_waits_for_it(variables: dict[str, Any]) -> None:
    config = pipeline(variables)
    for name in SIGNING_JOBS:
        [rule] = rules_of(config, name)
        assert "CI_SERVER_HOST" not in rule["if"] and "CI_COMMIT_REF_PROTECTED" in rule["if"]
    assert {"job": "verify", "artifacts": False} in config["publish"]["needs"]  # not optional


def test_keyless_on_a_self_managed_sigstore_instance() -> None:
    url = "https://tuf.sigstore.example.com"
    config = pipeline({"signing": "keyless", "sigstore_instance_url": url})
    assert config["variables"]["SIGSTORE_INSTANCE"] == url
    assert config["sign"]["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    for name in ("sign", "verify", "consumer-verify"):
        script = "\n".join(config[name]["script"])
        assert (
            'python -m sigstore --instance "$SIGSTORE_INSTANCE" trust-instance "$SIGSTORE_TRUST_ROOT"'
            in script
        )
        assert script.count("python -m sigstore") == script.count(
            'python -m sigstore --instance "$SIGSTORE_INSTANCE"'
        )
    assert "--instance" not in ci_text({"signing": "keyless"})


def test_key_signing_uses_the_masked_variable_and_publishes_the_public_key_in_the_file() -> None:
    config = pipeline(KEY_SIGNING)
    assert config["variables"]["SIGNING_PUBLIC_KEY"] == PUBLIC_KEY
    assert "id_tokens" not in config["sign"]  # no OIDC token, no Sigstore: nothing leaves the instance
    text = ci_text(KEY_SIGNING)
    assert "python -m sigstore" not in text and "SIGNER_ID" not in text
    sign = "\n".join(config["sign"]["script"])
    assert '"${SIGNING_KEY:?' in sign and "umask 077" in sign and 'rm -rf "$work"' in sign
    assert "is not the private half of SIGNING_PUBLIC_KEY" in sign
    assert "masked, hidden and protected" in text


def test_trusted_publishing_needs_no_stored_token() -> None:
    config = pipeline({"publish_to": ["gitlab", "pypi"]})
    job = config["publish-pypi"]
    assert job["environment"]["name"] == "pypi"
    assert job["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"}, "SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    assert job["variables"] == {"TWINE_USERNAME": "__token__", "TWINE_NON_INTERACTIVE": "1"}  # no password
    script = "\n".join(job["script"])
    assert 'TWINE_PASSWORD="$(python ci/release.py mint-token "$PYPI_UPLOAD_URL" "$PYPI_AUDIENCE")"' in script
    assert "python -m pypi_attestations sign dist/*.whl dist/*.tar.gz" in script
    assert 'if [ "$CI_SERVER_HOST" = "gitlab.com" ]' in script  # attestations need the public Sigstore
    assert config["variables"]["PYPI_UPLOAD_URL"] == "https://upload.pypi.org/legacy/"
    assert "publish" in jobs(config)  # the GitLab registry stays


def test_trusted_publishing_to_another_index_without_attestations() -> None:
    config = pipeline(
        {
            "publish_to": ["pypi"],
            "pypi_upload_url": "https://test.pypi.org/legacy/",
            "pypi_audience": "testpypi",
            "pypi_attestations": False,
        }
    )
    job = config["publish-pypi"]
    assert job["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "testpypi"}}
    assert "attestation" not in "\n".join(job["script"])
    assert "publish" not in config and "consumer-verify" not in config
