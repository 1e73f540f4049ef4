"""Pure: what the schema cannot express is left out (unmanaged) with a note; the rest validates."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from provisioner.facets import FACETS
from provisioner.facets.base import Description
from provisioner.facets.protection_current import ProtectionState
from provisioner.facets.registries.current import JobTokenState, RegistryState
from provisioner.gitlab.deploy_tokens import DeployTokenRecord
from provisioner.gitlab.protection import BranchRule, TagRule
from provisioner.gitlab.registry import PackageRule
from provisioner.gitlab.variables import VariableRecord
from provisioner.inventory.schema import Project
from provisioner.model import ProjectRef
from provisioner.onboard.describe import describe_target
from provisioner.onboard.estate import TargetState


def state(
    attributes: dict[str, Any] | None = None,
    *,
    variables: Any = (),
    job_token: JobTokenState | None = None,
    deploy_tokens: Any = None,
    package_rules: Any = None,
    branches: Any = (),
    tags: Any = (),
    notes: tuple[str, ...] = (),
) -> TargetState:
    """A project as the facets read it (`Facet.read_current`), by facet name."""
    entity = {"id": 7, "path_with_namespace": "g/p", "default_branch": "main", **(attributes or {})}
    ref = ProjectRef(7, "g/p", entity["default_branch"], attributes=MappingProxyType(entity))
    registry = RegistryState(
        "package_registry_access_level", job_token, deploy_tokens, package_rules=package_rules
    )
    current = {
        "variables": list(variables),
        "runners": [],
        "registry": registry,
        "protection": ProtectionState(tuple(branches), tuple(tags)),
    }
    if notes:
        current.pop("variables")  # what a note says could not be read is absent
    return TargetState(ref, current, notes)


def describe_project(found: TargetState) -> Description:
    return describe_target(found, FACETS)


def test_a_full_description_validates_and_keeps_what_the_facets_compare() -> None:
    described = describe_project(
        state(
            {
                "build_timeout": 600,
                "description": None,
                "ci_config_path": None,
                "shared_runners_enabled": False,
                "container_registry_access_level": "private",
                "package_registry_access_level": "public",
                "container_expiration_policy": {
                    "cadence": "7d",
                    "enabled": True,
                    "keep_n": 5,
                    "older_than": None,
                    "name_regex": ".*",
                    "name_regex_delete": ".*",
                    "name_regex_keep": "",
                    "next_run_at": "2025-06-03T00:00:00Z",
                },
            },
            variables=(
                VariableRecord("PLAIN", "x"),
                VariableRecord("KEY", "s3cr3t-value", masked=True),
                VariableRecord("PW", None, masked=True, hidden=True),
                VariableRecord("T", "a", environment_scope="prod", protected=True),
                VariableRecord("T", "b", environment_scope="dev"),
            ),
            job_token=JobTokenState(False, ("g/other",), ()),
            tags=(TagRule("v*", frozenset({40})),),
            branches=(BranchRule("main", frozenset({0}), frozenset({40}), None, False),),
        )
    )

    assert described.notes == []
    entry = described.entry
    Project.model_validate(entry)
    assert entry["settings"] == {
        "build_timeout": 600,
        "default_branch": "main",
        "description": "",
        "ci_config_path": "",
    }
    assert entry["variables"] == {
        "KEY": {"secret": "env:KEY", "masked": True},
        "PLAIN": "x",
        "PW": {"secret": "env:PW", "masked": True, "hidden": True},
        "T": [
            {"value": "b", "environment_scope": "dev"},
            {"value": "a", "protected": True, "environment_scope": "prod"},
        ],
    }
    assert "s3cr3t-value" not in repr(entry)
    assert entry["runners"] == {"shared_runners_enabled": False}
    assert entry["registry"] == {
        "container_registry_access_level": "private",
        "package_registry_access_level": "public",
        "cleanup_policy": {"enabled": True, "cadence": "7d", "keep_n": 5, "name_regex": ".*"},
        "job_token_scope": {"enabled": False, "projects": ["g/other"]},
    }
    assert entry["protection"] == {
        "default_branch": {
            "push_access_level": "no_one",
            "merge_access_level": "maintainer",
            "allow_force_push": False,
        },
        "tags": {"v*": {"create_access_level": "maintainer"}},
    }


def test_what_cannot_be_expressed_is_left_out_with_a_note() -> None:
    described = describe_project(
        state(
            {"build_timeout": 60, "merge_method": "semi_linear_with_magic"},  # outside the schema
            variables=(VariableRecord("prune", "1"),),
            branches=(
                BranchRule("main", frozenset({30, 40}), frozenset({40}), None),  # two levels (Premium)
                BranchRule("release", frozenset({50}), frozenset({40}), None),  # a level with no name
            ),
            tags=(TagRule("v*", frozenset()),),  # only user grants
            package_rules=(
                PackageRule(1, "@g/a", "npm", "maintainer", None),
                PackageRule(2, "@g/b", "cargo", "maintainer", None),  # a type the schema lacks
            ),
        )
    )

    assert described.entry["settings"] == {"default_branch": "main"}
    # The v* rule it cannot write stays as it is: the blueprint's release tags are not asked for either.
    assert described.entry["protection"] == {"release_tags": False}
    assert "variables" not in described.entry
    assert "registry" not in described.entry  # the rule list could not be written whole: none of it
    notes = "\n".join(described.notes)
    for expected in (
        "settings.build_timeout: GitLab has build_timeout=60",
        "settings.merge_method",
        "variables.prune",
        'branch "main" has levels the inventory cannot express',
        'branch "release" has levels',
        'tag "v*" has levels',
        "registry.package_protection_rules: cannot be expressed",
    ):
        assert expected in notes


def test_only_the_newest_of_same_named_deploy_tokens_is_described() -> None:
    described = describe_project(
        state(
            deploy_tokens=(
                DeployTokenRecord(3, "pull", ("read_registry",), "u3"),
                DeployTokenRecord(9, "pull", ("read_registry", "write_registry"), "u9"),
            )
        )
    )

    assert described.entry["registry"]["deploy_tokens"] == [
        {"name": "pull", "scopes": ["read_registry", "write_registry"], "username": "u9"}
    ]
    assert 'several active tokens are named "pull"; the newest (#9) is managed' in described.notes[0]


def test_an_area_that_could_not_be_read_is_absent_and_noted() -> None:
    described = describe_project(state(notes=("variables: not read (403); left unmanaged",)))

    assert "variables" not in described.entry
    assert described.notes == ["variables: not read (403); left unmanaged"]
