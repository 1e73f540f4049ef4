"""File policies per project: the manifest's, changed by the inventory's `blueprint_enforce`."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.blueprint import Enforce, FileRule, check_enforce, load_blueprint, render
from provisioner.blueprint.policies import policy_for
from provisioner.errors import InputError

MARKED = FileRule(path=".gitlab-ci.yml", template="t", policy="managed", compliance="enforced")
UNMARKED = FileRule(path="ci/extra.yml", template="t", policy="managed")
ENFORCED = FileRule(path="ci/locked.yml", template="t", policy="enforced")
KEYS = FileRule(path="pyproject.toml", template="t", policy="managed-keys")
SEED = FileRule(path="README.md", template="t", policy="seed")

CASES: list[tuple[Enforce, dict[str, str]]] = [
    # blueprint_enforce -> the policy of each of MARKED, UNMARKED, ENFORCED, KEYS, SEED
    (None, {"marked": "managed", "unmarked": "managed", "enforced": "enforced"}),
    (True, {"marked": "enforced", "unmarked": "managed", "enforced": "enforced"}),
    (False, {"marked": "managed", "unmarked": "managed", "enforced": "managed"}),
    (["ci/extra.yml"], {"marked": "managed", "unmarked": "enforced", "enforced": "managed"}),
]


@pytest.mark.parametrize(("enforce", "expected"), CASES, ids=["unset", "true", "false", "a list"])
def test_blueprint_enforce_switches_only_whole_files(enforce: Enforce, expected: dict[str, str]) -> None:
    rules = {"marked": MARKED, "unmarked": UNMARKED, "enforced": ENFORCED}
    assert {name: policy_for(rule, enforce) for name, rule in rules.items()} == expected
    assert policy_for(KEYS, enforce) == "managed-keys"  # enforcing it whole would drop the team's part
    assert policy_for(SEED, enforce) == "seed"


def test_python_package_marks_its_pipeline_for_compliance_and_keeps_team_edits_by_default() -> None:
    rules = {r.path: r for r in load_blueprint("python-package").manifest.files}
    release = {".gitlab-ci.yml", "ci/constraints.txt", "ci/release.py"}  # the pipeline, its tools and steps
    assert {p for p, r in rules.items() if r.compliance == "enforced"} == release
    assert rules[".gitlab-ci.yml"].policy == "managed"
    rendered = render("python-package", {}, project_path="team/demo")
    assert rendered.file(".gitlab-ci.yml").policy == "managed"
    enforced = render("python-package", {}, project_path="team/demo", enforce=True)
    assert {f.path for f in enforced.files if f.policy == "enforced"} == release


def test_a_list_naming_what_the_blueprint_does_not_render_whole_is_an_input_error() -> None:
    assert check_enforce("python-package", [".gitlab-ci.yml"]) == []
    assert check_enforce("python-package", True) == []
    problems = check_enforce("python-package", [".gitlab-ci.yaml", "pyproject.toml"])
    assert problems == [
        (
            "blueprint_enforce",
            "'.gitlab-ci.yaml': not a file blueprint python-package renders whole (managed or enforced); "
            "did you mean '.gitlab-ci.yml'?",
        ),
        (
            "blueprint_enforce",
            "'pyproject.toml': not a file blueprint python-package renders whole (managed or enforced) "
            "(it has: .gitlab-ci.yml, ci/constraints.txt, ci/release.py)",
        ),
    ]
    with pytest.raises(InputError, match=r"blueprint_enforce: 'README\.md': not a file"):
        render("python-package", {}, project_path="team/demo", enforce=["README.md"])


def test_compliance_marks_only_whole_files(blueprint_root: Path) -> None:
    manifest = blueprint_root / "python-package" / "blueprint.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("    policy: seed\n", "    policy: seed\n    compliance: enforced\n", 1))
    with pytest.raises(InputError, match="compliance is only for policy managed or enforced"):
        load_blueprint("python-package", blueprint_root)


def test_the_inventory_says_where_a_bad_enforce_list_is(tmp_path: Path) -> None:
    from provisioner.inventory.loader import load_inventory

    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "version: 1\nprojects:\n  team/app:\n    blueprint: python-package\n"
        "    blueprint_enforce: [.gitlab-ci.yaml]\n"
    )
    with pytest.raises(InputError) as caught:
        load_inventory(inventory)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (5, "projects.team/app.blueprint_enforce")
    assert "did you mean '.gitlab-ci.yml'?" in problem.message
