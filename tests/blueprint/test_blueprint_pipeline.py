"""The rendered pipeline really runs: gitlab-ci-local executes the sample project's jobs on this machine.

Needs Node 22 and gitlab-ci-local from the npm registry, rsync, and PyPI for the jobs' pip installs (see
conftest.py). Jobs run with `--force-shell-executor`: the host's Python stands in for the job image.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from provisioner.cli import app

if TYPE_CHECKING:
    from conftest import CiLocal  # the session fixture `ci_local` (conftest.py beside this file)

pytestmark = pytest.mark.pipeline

TAG = "v1.2.3"
PROTECTED_TAG = ("--variable", f"CI_COMMIT_TAG={TAG}", "--variable", "CI_COMMIT_REF_PROTECTED=true")
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
VERSIONS = sorted({"3.11", HOST_PYTHON})  # the test job runs on the host's Python whatever the matrix says


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def scaffold(where: Path, *var: str) -> Path:
    """A new project as `provisioner blueprint render` writes it, committed and tagged."""
    args = ["blueprint", "render", "python-package", "--out", str(where), "--project", "demo/demo-pkg"]
    for pair in var:
        args += ["--var", pair]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    git(where, "init", "-q", "-b", "main")
    git(where, "remote", "add", "origin", "https://gitlab.example.com/demo/demo-pkg.git")  # never contacted
    git(where, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "Scaffold")
    git(where, "tag", TAG)
    return where


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scaffold(tmp_path_factory.mktemp("sample") / "demo-pkg", f"python_versions={VERSIONS}")


def job_names(ci_local: CiLocal, project: Path, *variables: str) -> list[str]:
    result = ci_local.run(project, "--list-json", *variables, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return [job["name"] for job in json.loads(result.stdout) if job["when"] != "never"]


def run_job(ci_local: CiLocal, project: Path, job: str, *args: str) -> subprocess.CompletedProcess[str]:
    return ci_local.run(project, "--force-shell-executor", job, *args)


def wheel_version(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    return next(line.removeprefix("Version: ") for line in lines if line.startswith("Version: "))


def tag_pipeline(tag: str, protected: bool = True, *more: str) -> tuple[str, ...]:
    flags = (
        "--variable",
        f"CI_COMMIT_TAG={tag}",
        "--variable",
        f"CI_COMMIT_REF_PROTECTED={str(protected).lower()}",
    )
    return (*flags, *more)


def test_release_jobs_appear_only_on_protected_version_tags(ci_local: CiLocal, sample: Path) -> None:
    tests = [f"test: [{version}]" for version in VERSIONS]
    assert sorted(job_names(ci_local, sample)) == sorted([*tests, "build"])
    assert sorted(job_names(ci_local, sample, *tag_pipeline(TAG, False))) == sorted([*tests, "build"])
    # Signing auto: the sample's remote is a self-managed instance, so the release is not signed there.
    release = ["publish", "consumer-verify"]
    assert sorted(job_names(ci_local, sample, *PROTECTED_TAG)) == sorted([*tests, "build", *release])
    for other in ("nightly", "1.2.3", "v1.2.3-nightly", "v1.2"):  # the old rule released 1.2.3 and v1.2.3-x
        assert sorted(job_names(ci_local, sample, *tag_pipeline(other))) == sorted([*tests, "build"]), other


def test_auto_signing_signs_public_projects_on_gitlab_com(ci_local: CiLocal, sample: Path) -> None:
    on_gitlab_com = ("--variable", "CI_SERVER_HOST=gitlab.com")
    public = ("--variable", "CI_PROJECT_VISIBILITY=public")
    private = ("--variable", "CI_PROJECT_VISIBILITY=private")
    signed = ["sign", "verify", "publish", "publish-signatures", "consumer-verify"]
    assert set(job_names(ci_local, sample, *PROTECTED_TAG, *on_gitlab_com, *public)) >= set(signed)
    names = job_names(ci_local, sample, *PROTECTED_TAG, *on_gitlab_com, *private)
    assert "sign" not in names and {"publish", "consumer-verify"} <= set(names)  # publish does not wait


def test_the_coverage_regex_compiles_as_strict_checkers_compile_it(ci_local: CiLocal, sample: Path) -> None:
    """`\\%` is a syntax error in a Unicode-mode ECMAScript regex (strict `format: regex` checkers)."""
    regex = YAML(typ="safe").load((sample / ".gitlab-ci.yml").read_text())["test"]["coverage"]
    compile_js = "new RegExp(process.argv[1].slice(1, -1), 'u')"

    def compiles(pattern: str) -> bool:
        return (
            subprocess.run(
                [ci_local.command[0], "-e", compile_js, pattern], capture_output=True, check=False
            ).returncode
            == 0
        )

    assert compiles(regex)
    assert not compiles(regex.replace("%", "\\%"))  # the regex as it was


def test_test_job_runs_the_sample_tests_with_junit_and_coverage_reports(
    ci_local: CiLocal, sample: Path
) -> None:
    result = run_job(ci_local, sample, f"test: [{HOST_PYTHON}]")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"PASS  test: [{HOST_PYTHON}] 100% coverage" in result.stdout  # the coverage regex matched

    suites = ElementTree.parse(sample / "junit.xml").getroot()
    suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "0")

    coverage = ElementTree.parse(sample / "coverage.xml").getroot()
    assert coverage.tag == "coverage" and float(coverage.get("line-rate", "0")) == 1.0
    sources = [s.text for s in coverage.iter("source")]
    assert sources == [str(sample.resolve())]  # resolvable by GitLab: the project root, not site-packages
    assert {c.get("filename") for c in coverage.iter("class")} == {"src/demo_pkg/__init__.py"}


def test_build_job_on_a_branch_or_a_tag_that_is_no_version_builds_a_dev_version(
    ci_local: CiLocal, sample: Path, tmp_path: Path
) -> None:
    """A tag such as `nightly` used to become the version to build, and build failed with InvalidVersion.
    Now it builds what a branch builds (the build script reads only RELEASE_TAG, which it leaves unset)."""
    nightly = tmp_path / "nightly"
    shutil.copytree(sample, nightly, ignore=shutil.ignore_patterns(".venv", ".gitlab-ci-local", "dist"))
    git(nightly, "commit", "-q", "--allow-empty", "-m", "Work after the release")
    git(nightly, "tag", "nightly")
    result = run_job(ci_local, nightly, "build", *tag_pipeline("nightly"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    [wheel] = (nightly / "dist").glob("*.whl")
    version = wheel_version(wheel)
    assert version.startswith("1.2.4.dev1+g")  # from git describe: no release tag, nothing to compare with
    dotenv = (
        nightly / ".gitlab-ci-local" / "artifacts" / "build" / ".gitlab-ci-reports" / "dotenv" / "build.env"
    )
    assert dotenv.read_text() == f"PKG_NAME=demo_pkg\nPKG_VERSION={version}\n"


def test_build_job_fails_when_the_tag_and_the_built_version_differ(
    ci_local: CiLocal, sample: Path, tmp_path: Path
) -> None:
    pinned = tmp_path / "pinned"
    shutil.copytree(sample, pinned, ignore=shutil.ignore_patterns(".venv", ".gitlab-ci-local", "dist"))
    pyproject = pinned / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dynamic = ["version"]', 'version = "1.0.0"'))
    git(pinned, "commit", "-q", "-am", "A team keeps a static version")
    result = run_job(ci_local, pinned, "build", *PROTECTED_TAG)
    assert result.returncode != 0
    assert "tag 1.2.3 does not match the built version 1.0.0" in result.stdout + result.stderr
    assert "FAIL  build" in result.stdout


# Left over from before setuptools-scm: source releases were stamped from a VERSION file.
LEGACY_SETUP_PY = """\
import os
import sys

from setuptools import setup

if "sdist" in sys.argv:
    with open("VERSION") as version:
        os.environ["SETUPTOOLS_SCM_PRETEND_VERSION"] = version.read().strip()
setup()
"""


def test_build_job_fails_when_the_wheel_and_the_sdist_versions_differ(
    ci_local: CiLocal, tmp_path: Path
) -> None:
    """A team's own setup.py hook gives the sdist a version of its own, and the build job stops it.

    The rendered pipeline runs unchanged and builds for real: `python -m build` makes the sdist (where the
    hook stamps 1.2.4 from a VERSION file nobody bumped), then the wheel from that sdist, where
    setuptools-scm prefers the tag's SETUPTOOLS_SCM_PRETEND_VERSION to the sdist's PKG-INFO (hatchling
    would take PKG-INFO, so only the setuptools variant can drift this way). The wheel alone matches the
    tag, so a check of the tag against the wheel lets this release through. The hook lives in setup.py,
    which is the team's, rather than in [build-system], which the provisioner would put back.
    """
    project = scaffold(tmp_path / "demo-pkg", "build_backend=setuptools", "signing=off")
    (project / "setup.py").write_text(LEGACY_SETUP_PY)
    (project / "VERSION").write_text("1.2.4\n")
    git(project, "add", "setup.py", "VERSION")
    git(project, "commit", "-q", "-m", "Keep the old release script's setup.py")
    result = run_job(ci_local, project, "build", *PROTECTED_TAG)
    output = result.stdout + result.stderr
    [wheel] = (project / "dist").glob("*.whl")
    assert wheel_version(wheel) == "1.2.3", output[-4000:]  # the drift really happened: the wheel has the tag
    assert [p.name for p in (project / "dist").glob("*.tar.gz")] == ["demo_pkg-1.2.4.tar.gz"]
    assert result.returncode != 0
    assert (
        "the wheel and the sdist versions differ: "
        "demo_pkg-1.2.3-py3-none-any.whl is 1.2.3, demo_pkg-1.2.4.tar.gz is 1.2.4"
    ) in output
    assert "FAIL  build" in result.stdout


def test_setuptools_variant_builds_with_the_tag_version(ci_local: CiLocal, tmp_path: Path) -> None:
    project = scaffold(tmp_path / "demo-pkg", "build_backend=setuptools", "signing=off")
    result = run_job(ci_local, project, "build", *PROTECTED_TAG)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    [wheel] = (project / "dist").glob("*.whl")
    assert wheel_version(wheel) == "1.2.3"
    # The build job's version check passed over an sdist with two PKG-INFO files: it reads the top one.
    [sdist] = (project / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        infos = sorted(name for name in archive.getnames() if name.endswith("/PKG-INFO"))
    assert infos == ["demo_pkg-1.2.3/PKG-INFO", "demo_pkg-1.2.3/src/demo_pkg.egg-info/PKG-INFO"]


TOOLS = [
    "pip",
    "build",
    "twine",
    "sigstore",
    "pypi-attestations",
    "hatchling",
    "hatch-vcs",
    "setuptools",
    "setuptools-scm",
]


@pytest.mark.parametrize("python", ["3.11", "3.14"])
def test_the_constraints_pin_everything_the_release_tools_install(
    sample: Path, tmp_path: Path, python: str
) -> None:
    """pip resolves the tools against ci/constraints.txt (PyPI) for the oldest and newest release Python:
    every package it would install is pinned there, so nothing the release runs floats."""
    constraints = sample / "ci" / "constraints.txt"
    pinned = {
        line.split("==")[0].lower().replace("_", "-").replace(".", "-")
        for line in constraints.read_text().splitlines()
        if "==" in line
    }
    report = tmp_path / "report.json"
    resolve = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
    resolve += [
        "--python-version",
        python,
        "--only-binary=:all:",
        "--target",
        str(tmp_path / "t"),
        "--report",
        str(report),
    ]
    done = subprocess.run(
        [*resolve, "--constraint", str(constraints), *TOOLS], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    installed = json.loads(report.read_text())["install"]
    names = {item["metadata"]["name"].lower().replace("_", "-").replace(".", "-") for item in installed}
    assert names - pinned == set()
