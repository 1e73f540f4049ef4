"""The component really runs: a project whose `.gitlab-ci.yml` is the component (its inputs filled in
as GitLab fills them when a pipeline starts) and that holds no `ci/` files builds its release under
gitlab-ci-local, the component's jobs writing the release tools' pins and steps they carry."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from provisioner.blueprint import render
from provisioner.blueprint.component import render_component, template_path
from tests.blueprint.test_blueprint_pipeline import (
    PROTECTED_TAG,
    VERSIONS,
    git,
    run_job,
    scaffold,
    wheel_version,
)

if TYPE_CHECKING:
    from conftest import CiLocal

pytestmark = pytest.mark.pipeline


def interpolated(inputs: dict[str, str]) -> str:
    """What GitLab makes of the component for a project: the header gone, each input replaced by the
    project's value (or the input's default)."""
    rendering = render_component(
        "python-package", {"python_versions": VERSIONS}, project="platform/ci", version="1.0.0"
    )
    text = rendering.file(template_path("python-package")).text
    body = text.split("\n---\n", 1)[1]
    defaults = {"registry_project": "${CI_PROJECT_ID}", "signing_public_key": ""}
    values = defaults | inputs
    return re.sub(r"\$\[\[ inputs\.([a-z_]+) \]\]", lambda m: json.dumps(values[m.group(1)])[1:-1], body)


def test_a_project_that_includes_the_component_builds_its_release(ci_local: CiLocal, tmp_path: Path) -> None:
    project = scaffold(tmp_path / "demo-pkg", f"python_versions={VERSIONS}")
    shutil.rmtree(project / "ci")  # the component carries them
    (project / ".gitlab-ci.yml").write_text(interpolated({"signatures_package": "demo_pkg-signatures"}))
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "The pipeline is the component")
    git(project, "tag", "-f", "v1.2.3")

    result = run_job(ci_local, project, "build", *PROTECTED_TAG)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    [wheel] = (project / "dist").glob("*.whl")
    assert wheel_version(wheel) == "1.2.3"
    # The shell executor runs in the project's folder: what .ci-files wrote there is the blueprint's.
    carried = render("python-package", {}, project_path="demo/demo-pkg")
    assert (project / "ci" / "release.py").read_text() == carried.file("ci/release.py").text
