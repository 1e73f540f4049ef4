"""Pinned tools, scripts that stop at the first failure (issue 14, defect 5), and the smaller defects of 6
that the rendered files show: the consumer's isolation, one copy of the files, idempotent publishing,
pyproject metadata, a coverage regex strict checkers accept."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import tomlkit

from provisioner.blueprint import render
from tests.blueprint.pipelines import KEY_SIGNING, PROJECT, jobs, pipeline, shell_entries

VARIANTS = [{}, {"signing": "keyless"}, KEY_SIGNING, {"signing": "off"}, {"publish_to": ["gitlab", "pypi"]}]
IDS = ["auto", "keyless", "key", "off", "pypi"]
PIN = re.compile(
    r'^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)(; python_version [<>]=? "3\.[0-9]+")?(  #.*)?$'
)


def constraints() -> dict[str, str]:
    text = render("python-package", {}, project_path=PROJECT).file("ci/constraints.txt").text
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert all(PIN.match(line) for line in lines), [line for line in lines if not PIN.match(line)]
    return {m.group(1).lower(): m.group(2) for m in map(PIN.match, lines) if m}  # exact pins only


@pytest.mark.parametrize("variables", VARIANTS, ids=IDS)
def test_every_image_is_the_pinned_python_image(variables: dict[str, Any]) -> None:
    config = pipeline(variables)
    assert config["variables"]["PYTHON_IMAGE"] == "python:3.14-bookworm"
    assert config["default"]["image"] == "$PYTHON_IMAGE"
    images = {job.get("image", "$PYTHON_IMAGE") for job in jobs(config).values()}
    assert images == {"$PYTHON_IMAGE", "python:$PYTHON_VERSION-bookworm"}  # no alpine, no floating tag
    assert "apk " not in str(config) and ":latest" not in str(config)


def test_the_release_image_can_be_pinned_to_a_digest() -> None:
    digest = "sha256:" + "0123456789abcdef" * 4
    config = pipeline({"release_image_digest": digest, "python_image_suffix": ""})
    assert config["variables"]["PYTHON_IMAGE"] == f"python:3.14@{digest}"


@pytest.mark.parametrize("variables", VARIANTS, ids=IDS)
def test_every_tool_install_is_pinned_by_the_blueprints_constraints(variables: dict[str, Any]) -> None:
    pins = constraints()
    installs = [
        (name, entry)
        for name, script in shell_entries(pipeline(variables))
        for entry in script.splitlines()
        if "pip install" in entry
    ]
    assert installs
    for name, entry in installs:
        if "-e . --group test" in entry or "--no-index consumer/pkgs/" in entry:
            continue  # the team's own project and its dependencies; the wheel just checked
        assert "--constraint ci/constraints.txt" in entry, (name, entry)
        packages = entry.split("--constraint ci/constraints.txt", 1)[1].split()
        assert packages and all(p.lower() in pins for p in packages), (name, entry)
    build = "\n".join(pipeline(variables)["build"]["script"])
    assert 'export PIP_CONSTRAINT="$PWD/ci/constraints.txt"' in build  # the build backend too


@pytest.mark.parametrize("variables", VARIANTS, ids=IDS)
def test_no_script_line_can_hide_a_failure(variables: dict[str, Any]) -> None:
    """GitLab runs job scripts with `set -e`, which ignores a failure left of `&&` or `||`."""
    for name, entry in shell_entries(pipeline(variables)):
        assert "&&" not in entry and "||" not in entry, (name, entry)
        if "\n" in entry.strip():
            assert entry.startswith(("set -eu\n", "( set -eu\n")), (name, entry)


def test_coverage_regex_is_valid_in_unicode_mode() -> None:
    """`\\%` is an invalid identity escape for strict (ECMAScript Unicode-mode) regex checkers; the
    pipeline test runs the regex through Node as well."""
    regex = pipeline({})["test"]["coverage"]
    assert regex == "/TOTAL.*? (100(?:\\.0+)?%|[1-9]?\\d(?:\\.\\d+)?%)$/"
    escaped = set(re.findall(r"\\(.)", regex))
    assert escaped <= set("dDwWsSbB") | set("^$\\.*+?()[]{}|/"), escaped


@pytest.mark.parametrize("variables", [{}, KEY_SIGNING, {"signing": "off"}], ids=["auto", "key", "off"])
def test_the_consumer_installs_only_this_pipelines_wheel_from_this_registry(
    variables: dict[str, Any],
) -> None:
    script = pipeline(variables)["consumer-verify"]["script"]
    assert script[0].startswith("rm -rf consumer")  # nothing from an earlier release
    [download] = [e for e in script if " download " in e]
    for flag in (
        "PIP_CONFIG_FILE=/dev/null ",
        "--isolated",
        "--no-deps",
        "--no-cache-dir",
        '--index-url "$INDEX"',
    ):
        assert flag in download
    assert '"${PKG_NAME}==${PKG_VERSION}"' in download and "--dest consumer/pkgs" in download
    assert "sha256sum --check --strict --ignore-missing ../../SHA256SUMS" in script
    [install] = [e for e in script if "\n" not in e and " install " in e]
    assert (
        install
        == "PIP_CONFIG_FILE=/dev/null python -m pip --isolated install --no-deps --no-index consumer/pkgs/*.whl"
    )


@pytest.mark.parametrize("variables", [{}, KEY_SIGNING], ids=["auto", "key"])
def test_verify_and_publish_check_the_one_copy_build_made(variables: dict[str, Any]) -> None:
    """Verify used to check sign's re-uploaded copy of dist/ while publish uploaded build's."""
    config = pipeline(variables)
    assert config["sign"]["artifacts"] == {"paths": ["signatures/"]}  # signatures only, never dist/
    assert config["build"]["artifacts"]["paths"] == ["dist/", "SHA256SUMS", "ci/constraints.txt"]
    for name in ("sign", "verify", "publish"):
        assert config[name]["script"][0].startswith("python ci/release.py checksums"), name
        assert "build" in config[name]["needs"], name
    assert "verify" not in [n for n in config["publish"]["needs"] if isinstance(n, str)]


def test_publishing_again_uploads_only_what_is_missing() -> None:
    config = pipeline({})
    publish = "\n".join(config["publish"]["script"])
    assert (
        'python ci/release.py pypi-pending "$REGISTRY_PYPI/simple" dist/*.whl dist/*.tar.gz > pending.txt'
        in publish
    )
    assert (
        'if [ -s pending.txt ]; then twine upload --repository-url "$REGISTRY_PYPI" $(cat pending.txt); fi'
        in publish
    )
    assert "python ci/release.py generic-upload" in "\n".join(config["publish-signatures"]["script"])


def test_a_new_pyproject_names_authors_urls_and_license() -> None:
    variables = {"author_email": "platform@example.com", "gitlab_url": "https://gitlab.example.com"}
    project = tomlkit.parse(
        render("python-package", variables, project_path=PROJECT).file("pyproject.toml").text
    )["project"]
    assert project["authors"] == [{"name": "platform", "email": "platform@example.com"}]
    assert project["license"] == "LicenseRef-Proprietary"
    assert project["urls"] == {
        "Homepage": "https://gitlab.example.com/platform/demo-pkg",
        "Repository": "https://gitlab.example.com/platform/demo-pkg.git",
        "Issues": "https://gitlab.example.com/platform/demo-pkg/-/issues",
    }
    default = tomlkit.parse(render("python-package", {}, project_path=PROJECT).file("pyproject.toml").text)
    assert default["project"]["authors"] == [{"name": "platform"}]


@pytest.mark.parametrize(
    "variables",
    [*VARIANTS, {**KEY_SIGNING, "publish_to": ["pypi"], "pypi_attestations": False}],
    ids=[*IDS, "key, pypi only"],
)
def test_every_script_is_valid_posix_shell(variables: dict[str, Any]) -> None:
    """Jobs no gitlab-ci-local test runs here (keyless signing, trusted publishing) parse at least."""
    for name, job in pipeline(variables).items():
        if isinstance(job, dict) and ("script" in job or "before_script" in job):
            script = "\n".join([*job.get("before_script", []), *job.get("script", [])])
            checked = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True, check=False)
            assert checked.returncode == 0, (name, checked.stderr)


def test_without_a_project_the_pyproject_names_no_author_and_no_urls() -> None:
    """`blueprint render --out DIR` without --project: what derives from the project is left out."""
    text = render("python-package", {"distribution_name": "acme-tools"}).file("pyproject.toml").text
    project = tomlkit.parse(text)["project"]
    assert (
        "authors" not in project and "urls" not in project and project["license"] == "LicenseRef-Proprietary"
    )
