"""The sections the onboarding facets bring, through the real loader: their secrets resolved at load
(where they are written), nested variables merged key by key whole, bad input located."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.errors import InputError
from provisioner.facets import inventory_sections
from provisioner.inventory import load_inventory
from provisioner.secrets import Secret
from tests.inventory.conftest import WriteFiles, no_blueprint_problems

NIGHTLY = ("pipeline_schedules", "schedules", "nightly", "variables")


def load(path: Path) -> Any:
    return load_inventory(path, check_blueprint=no_blueprint_problems, sections=inventory_sections())


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(path)
    return [str(p).replace(f"{path.parent}/", "") for p in caught.value.problems]


def test_schedule_secrets_are_resolved_at_load_relative_to_the_file_that_names_them(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHED_TOKEN", "sched-env-value-1")
    path = write_files(
        {
            "inventory.yaml": """\
                version: 1
                include: [teams/a.yaml]
                defaults:
                  pipeline_schedules:
                    schedules:
                      nightly: {cron: "0 3 * * *", variables: {TOKEN: {secret: "env:SCHED_TOKEN"}, MODE: full}}
                """,
            "teams/a.yaml": """\
                version: 1
                projects:
                  team/app:
                    pipeline_schedules:
                      schedules:
                        nightly: {variables: {KEY: {secret: "file:keys/k.txt"}, MODE: {value: quick}}}
                """,
            "teams/keys/k.txt": "file-secret-value\n",
        }
    )
    (spec,) = load(path).projects
    assert spec.secrets["file:keys/k.txt"] == Secret("file-secret-value")
    # the project's own `variables` replaced the defaults' whole, key by key: TOKEN stays, MODE is theirs
    variables = spec.config.pipeline_schedules.schedules["nightly"].variables
    assert set(variables) == {"TOKEN", "MODE", "KEY"} and variables["MODE"].value == "quick"
    assert spec.secrets["env:SCHED_TOKEN"] == Secret("sched-env-value-1")


def test_a_missing_schedule_secret_is_an_error_at_its_line(write_files: WriteFiles) -> None:
    path = write_files(
        {
            "inventory.yaml": """\
                version: 1
                projects:
                  team/app:
                    pipeline_schedules:
                      schedules:
                        nightly:
                          cron: "0 3 * * *"
                          variables:
                            TOKEN: {secret: "env:SCHED_NOT_SET_ANYWHERE"}
                """
        }
    )
    assert problems(path) == [
        "inventory.yaml:9:29: projects.team/app.pipeline_schedules.schedules.nightly.variables.TOKEN.secret: "
        "environment variable SCHED_NOT_SET_ANYWHERE is not set"
    ]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('pipeline_schedules: {schedules: {nightly: {cron: "0 25 * * *"}}}', "GitLab refuses this cron"),
        (
            'pipeline_schedules: {schedules: {nightly: {cron: "0 3 * * *", cron_timezone: Mars/Base}}}',
            "IANA time zone",
        ),
        ("members: {users: {'-bad': developer}}", "a username is"),
        ("members: {users: {bob: superuser}}", "'guest', 'planner'"),
        ("members: {users: {Bob: guest, bob: guest}}", "given twice"),
        ("shares: {groups: {'platform//devs': guest}}", "a group's full path"),
        ("deploy_keys: {keys: [{title: k, key: 'ssh-rsa no*pe'}]}", "not base64"),
        ("deploy_keys: {keys: [{title: k, key: 'ssh-rsa AAAA'}]}", "not a ssh-rsa key"),
    ],
)
def test_bad_input_in_the_sections_is_located(write_files: WriteFiles, section: str, message: str) -> None:
    path = write_files({"inventory.yaml": f"version: 1\nprojects:\n  team/app:\n    {section}\n"})
    found = problems(path)
    assert found and all(p.startswith("inventory.yaml:4:") for p in found), found
    assert any(message in p for p in found), found


def test_a_group_s_own_members_are_not_its_projects(write_files: WriteFiles) -> None:
    path = write_files(
        {
            "inventory.yaml": """\
                version: 1
                groups:
                  team:
                    group_members: {users: {lead: owner}}
                    members: {users: {dev: developer}}
                projects:
                  team/app: {}
                """
        }
    )
    loaded = load(path)
    (group,) = loaded.groups
    (project,) = loaded.projects
    assert set(group.config.group_members.users) == {"lead"}
    assert set(project.config.members.users) == {"dev"} and not hasattr(project.config, "group_members")


def test_a_schedule_a_project_only_turns_on_inherits_its_cron_and_one_without_any_is_located(
    write_files: WriteFiles,
) -> None:
    path = write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults:
                  pipeline_schedules: {schedules: {nightly: {cron: "0 3 * * *", active: false}}}
                projects:
                  team/app:
                    pipeline_schedules: {schedules: {nightly: {active: true}}}
                  team/other:
                    pipeline_schedules: {schedules: {weekly: {active: true}}}
                """
        }
    )
    assert problems(path) == [
        "inventory.yaml:8:38: projects.team/other.pipeline_schedules.schedules.weekly.cron: "
        "required key is missing (here or in a layer above)"
    ]
