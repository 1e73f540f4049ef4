"""The compliance pipeline documented in docs/compliance-pipeline.md is valid GitLab CI and does what
the issue asks: a schedule, `parallel: N` with `--shard $CI_NODE_INDEX/$CI_NODE_TOTAL`, JUnit
artifacts kept when the job fails, and drift failing the job."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from provisioner.engine.select import in_shard, parse_shard

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "compliance-pipeline.md"
SCHEMAS = (
    ROOT / "tests" / "data" / "gitlab-ci-schema.json",
    ROOT.parent / "shared" / "reference" / "gitlab-api" / "ci.json",
)
SHARED_SCHEMA = Path("/work/shared/reference/gitlab-api/ci.json")


def _pipeline() -> dict[str, Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    loaded = yaml.safe_load(blocks[0])
    assert isinstance(loaded, dict)
    return loaded


def _schema() -> dict[str, Any]:
    path = next((p for p in SCHEMAS if p.exists()), None)
    assert path is not None, "GitLab's CI schema (tests/data/gitlab-ci-schema.json) is missing"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_the_documented_pipeline_is_valid_gitlab_ci() -> None:
    jsonschema.validate(_pipeline(), _schema())


def test_the_schema_catches_a_broken_pipeline() -> None:
    broken = _pipeline()
    broken["compliance"]["parallel"] = "eight"
    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(broken))
    assert errors


def _option(command: str, name: str) -> str:
    return command.split(f"{name} ", 1)[1].split()[0]


def test_the_job_shards_reports_and_fails_on_drift() -> None:
    job = _pipeline()["compliance"]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]
    assert isinstance(job["parallel"], int) and job["parallel"] > 1
    (command,) = [line for line in job["script"] if line.startswith("provisioner check")]
    assert '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' in command
    artifacts = job["artifacts"]
    assert artifacts["reports"]["junit"] == _option(command, "--junit")
    assert artifacts["when"] == "always"
    assert "allow_failure" not in job  # exit 2 (drift) fails the job
    # The HTML report, linked from merge requests: GitLab refuses '*' in paths with expose_as.
    assert _option(command, "--html") in artifacts["paths"] and artifacts["expose_as"]
    assert re.fullmatch(r"\w[-\w ]*", artifacts["expose_as"]) and not any(
        "*" in p for p in artifacts["paths"]
    )
    assert {_option(command, "--json"), _option(command, "--junit")} <= set(artifacts["paths"])


def test_tonights_report_is_tomorrows_baseline_even_when_drift_fails_the_job(tmp_path: Path) -> None:
    """The cache keeps each shard's report `when: always`, after_script (which runs after a failed
    script) puts it there, and the script passes --baseline only once there is one."""
    job = _pipeline()["compliance"]
    assert job["cache"]["when"] == "always" and "$CI_NODE_INDEX" in job["cache"]["key"]
    (command,) = [line for line in job["script"] if line.startswith("provisioner check")]
    setup = job["script"][: job["script"].index(command)]
    json_report = _option(command, "--json")

    def sh(lines: list[str]) -> str:
        done = subprocess.run(["sh", "-c", "\n".join(lines)], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert sh([*setup, "echo $BASELINE"]) == ""  # the first night: no baseline yet
    (tmp_path / json_report).write_text("{}")
    sh(job["after_script"])
    (cached,) = [p for p in job["cache"]["paths"] if (tmp_path / p).is_dir()]
    baseline = sh([*setup, "echo $BASELINE"]).split()
    assert baseline[0] == "--baseline" and (tmp_path / baseline[1]).read_text() == "{}"
    assert baseline[1].startswith(cached.rstrip("/") + "/")


def test_the_shards_split_an_estate_exactly_once() -> None:
    total = _pipeline()["compliance"]["parallel"]
    paths = [f"estate/team-{i % 37}/project-{i}" for i in range(5000)]
    shards = [[p for p in paths if in_shard(p, *parse_shard(f"{k}/{total}"))] for k in range(1, total + 1)]
    assert sorted(p for shard in shards for p in shard) == sorted(paths)
    assert min(len(s) for s in shards) > 0.8 * len(paths) / total  # an even spread
