"""load_inventory: specs, includes, secrets, selection, digest, and where problems are reported."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from keyrings.alt.file import PlaintextKeyring

from provisioner.errors import InputError, InputProblem
from provisioner.inventory import load_inventory
from provisioner.inventory.schema import Variables
from provisioner.secrets import Secret
from tests.inventory.conftest import WriteFiles, no_blueprint_problems

CONTRACT_EXAMPLE = """\
    version: 1
    include: [teams/*.yaml]
    defaults:
      blueprint: python-package
      settings: {build_timeout: 3600, auto_cancel_pending_pipelines: enabled}
    groups:
      platform:
        variables: {REGION: eu-west-1}
        group_variables:
          NEXUS_TOKEN: {secret: "env:NEXUS_TOKEN", masked: true}
    projects:
      platform/billing:
        blueprint_vars: {package_name: billing}
        settings: {only_allow_merge_if_pipeline_succeeds: true}
        variables:
          PIP_INDEX_URL: https://pypi.example/simple
          PYPI_TOKEN: {secret: "env:PYPI_TOKEN", masked: true, protected: true}
          DEPLOY_KEY:
            {secret: "keyring:deploy/billing", masked: true, hidden: true, environment_scope: production}
          IMPORTED: {value_unmanaged: true, protected: true}
    """

TEAM_FILE = """\
    version: 1
    projects:
      search/api:
        variables:
          CA_BUNDLE: {secret: "file:secrets/ca.pem", variable_type: file}
    """


def load(path: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("check_blueprint", no_blueprint_problems)
    return load_inventory(path, **kwargs)


def problems_of(path: Path, **kwargs: Any) -> list[InputProblem]:
    with pytest.raises(InputError) as caught:
        load(path, **kwargs)
    return caught.value.problems


def lines(problems: list[InputProblem], root: Path) -> list[str]:
    return [str(problem).replace(f"{root}/", "") for problem in problems]


@pytest.fixture
def contract(
    write_files: WriteFiles, file_keyring: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("PYPI_TOKEN", "pypi-t0ken-value")
    monkeypatch.setenv("NEXUS_TOKEN", "n3xus-t0ken-value")
    file_keyring.set_password("deploy", "billing", "d3ploy-k3y-value")
    main = write_files(
        {
            "inventory.yaml": CONTRACT_EXAMPLE,
            "teams/search.yaml": TEAM_FILE,
            "teams/secrets/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        }
    )
    (main.parent / "teams/secrets/ca.pem").chmod(0o600)  # readable by others: a warning
    return main


def test_the_contract_example_loads(contract: Path) -> None:
    loaded = load(contract, locate=True)

    assert [spec.path for spec in loaded.projects] == ["platform/billing", "search/api"]
    assert loaded.files == (str(contract), str(contract.parent / "teams/search.yaml"))
    billing = loaded.projects[0]
    assert billing.config.blueprint == "python-package"
    assert billing.config.blueprint_vars == {"package_name": "billing"}
    assert billing.config.settings.build_timeout == 3600
    assert billing.config.settings.only_allow_merge_if_pipeline_succeeds is True
    assert billing.source.line == 12
    values = {variable.key: variable.value for variable in billing.variables}
    assert [variable.key for variable in billing.variables] == sorted(values)
    assert values["PIP_INDEX_URL"] == "https://pypi.example/simple"
    assert values["REGION"] == "eu-west-1"
    assert values["IMPORTED"] is None
    assert isinstance(values["PYPI_TOKEN"], Secret) and values["PYPI_TOKEN"].reveal() == "pypi-t0ken-value"
    assert isinstance(values["DEPLOY_KEY"], Secret) and values["DEPLOY_KEY"].reveal() == "d3ploy-k3y-value"
    deploy_key = next(variable for variable in billing.variables if variable.key == "DEPLOY_KEY")
    assert (deploy_key.environment_scope, deploy_key.hidden, deploy_key.sensitive) == (
        "production",
        True,
        True,
    )


def test_group_variables_belong_to_the_group_only(contract: Path) -> None:
    loaded = load(contract)

    [group] = loaded.groups
    assert group.path == "platform"
    assert [(variable.key, str(variable.value)) for variable in group.variables] == [
        ("NEXUS_TOKEN", "(sensitive)")
    ]
    assert all(variable.key != "NEXUS_TOKEN" for spec in loaded.projects for variable in spec.variables)


def test_a_file_secret_is_read_relative_to_the_file_naming_it(contract: Path) -> None:
    search = load(contract).projects[1]

    [bundle] = search.variables
    assert isinstance(bundle.value, Secret)
    assert bundle.value.reveal() == "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"


def test_the_digest_is_stable_and_holds_references_not_values(
    contract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load(contract).digest
    assert load(contract).digest == first

    monkeypatch.setenv("PYPI_TOKEN", "another-t0ken-value")
    assert load(contract).digest == first

    contract.write_text(contract.read_text().replace("env:PYPI_TOKEN", "env:NEXUS_TOKEN"))
    assert load(contract).digest != first


def test_only_selects_projects_and_groups_by_path_or_glob(contract: Path) -> None:
    loaded = load(contract, only=["search/*"])
    assert [spec.path for spec in loaded.projects] == ["search/api"]
    assert loaded.groups == ()

    loaded = load(contract, only=["platform/billing", "PLATFORM"])
    assert [spec.path for spec in loaded.projects] == ["platform/billing"]
    assert [group.path for group in loaded.groups] == ["platform"]
    assert loaded.digest != load(contract).digest


def test_a_selection_matching_nothing_is_an_error(contract: Path) -> None:
    [problem] = problems_of(contract, only=["platform/billing", "platfrom/*"])
    assert problem.message == "no project or group matches 'platfrom/*'"


def test_the_whole_inventory_is_validated_whatever_the_selection(contract: Path) -> None:
    team = contract.parent / "teams/search.yaml"
    team.write_text(team.read_text().replace("variable_type: file", "variable_type: files"))

    [problem] = problems_of(contract, only=["platform/billing"])
    assert (problem.file, problem.line, problem.field) == (
        str(team),
        5,
        "projects.search/api.variables.CA_BUNDLE.variable_type",
    )


def test_every_problem_is_reported_across_files(write_files: WriteFiles) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                include: [b.yaml]
                projects:
                  a/one: {settings: {build_timeout: 1}}
                  a/two: {variables: {BAD-KEY: x}}
                """,
            "b.yaml": """\
                version: 1
                projects:
                  b/one: {settings: {public_jobs: sometimes}}
                  a/one: {}
                """,
        }
    )
    assert lines(problems_of(main), main.parent) == [
        "inventory.yaml:4:37: projects.a/one.settings.build_timeout: must be at least 600",
        "inventory.yaml:5:23: projects.a/two.variables.BAD-KEY: "
        "a variable key is 1 to 255 characters from A-Z a-z 0-9 _",
        "b.yaml:3:35: projects.b/one.settings.public_jobs: expected true or false",
        "b.yaml:4:3: projects.a/one: already defined at inventory.yaml:4:3",
    ]


def test_each_entry_is_checked_on_its_own_and_its_problems_said_where_written(
    write_files: WriteFiles,
) -> None:
    """A file's groups and projects are validated one entry at a time (a whole file's models were a
    large run's peak memory): the problems are those of the whole file, each at its place."""
    main = write_files(
        {
            "inventory.yaml": """\
                version: 2
                include: [b.yaml]
                defaults: {settings: {merge_methd: ff}}
                groups:
                  a: {coverage: {exclude: [""]}}
                projects:
                  a/one: 5
                  a/two: {registry: {cleanup_policy: {keep_n: many}}, runnerz: {}}
                """,
            "b.yaml": "version: 1\nprojects: [a/three]\n",
        }
    )
    assert lines(problems_of(main), main.parent) == [
        "inventory.yaml:1:10: version: must be 1",
        "inventory.yaml:3:23: defaults.settings.merge_methd: unknown key 'merge_methd'; did you mean "
        "'merge_method'?",
        "inventory.yaml:5:28: groups.a.coverage.exclude[0]: must not be empty",
        "inventory.yaml:7:10: projects.a/one: expected a mapping",
        "inventory.yaml:8:47: projects.a/two.registry.cleanup_policy.keep_n: must be one of 1, 5, 10, 25, "
        "50, 100",
        "inventory.yaml:8:55: projects.a/two.runnerz: unknown key 'runnerz'; did you mean 'runners'?",
        "b.yaml:2:1: projects: expected a mapping",
    ]


INCLUDES = {
    "inventory.yaml": """\
        version: 1
        include: [first.yaml, second.yaml, first.yaml]
        defaults:
          settings: {build_timeout: 3600}
        projects:
          a/main: {}
        """,
    "first.yaml": """\
        version: 1
        include: [nested/*.yaml]
        defaults:
          settings: {build_timeout: 600, public_jobs: true, merge_method: ff}
        projects:
          a/first: {}
        """,
    "second.yaml": """\
        version: 1
        include: [nested/z.yaml]
        defaults:
          settings: {merge_method: rebase_merge}
        """,
    "nested/z.yaml": """\
        version: 1
        defaults:
          settings: {squash_option: always, merge_method: merge}
        projects:
          a/nested-z: {}
        """,
    "nested/a.yaml": """\
        version: 1
        defaults:
          settings: {squash_option: never}
        projects:
          a/nested-a: {}
        """,
}


def test_includes_are_read_once_in_order_and_the_including_file_wins(write_files: WriteFiles) -> None:
    main = write_files(INCLUDES)
    loaded = load(main)

    assert [Path(file).relative_to(main.parent).as_posix() for file in loaded.files] == [
        "inventory.yaml",
        "first.yaml",
        "nested/a.yaml",
        "nested/z.yaml",
        "second.yaml",
    ]
    assert [spec.path for spec in loaded.projects] == ["a/first", "a/main", "a/nested-a", "a/nested-z"]
    settings = loaded.projects[0].config.settings.model_dump(exclude_none=True)
    # weakest first: nested/a, nested/z, first, second, inventory
    assert settings == {
        "build_timeout": 3600,
        "public_jobs": True,
        "merge_method": "rebase_merge",
        "squash_option": "always",
    }


def test_a_project_with_an_empty_entry_takes_everything_inherited(write_files: WriteFiles) -> None:
    main = write_files(
        {"inventory.yaml": "version: 1\ndefaults: {settings: {public_jobs: false}}\nprojects:\n  a/b:\n"}
    )
    [spec] = load(main).projects
    assert spec.config.settings.public_jobs is False


def test_an_empty_inventory_has_no_projects(write_files: WriteFiles) -> None:
    loaded = load(write_files({"inventory.yaml": "version: 1\nprojects:\ngroups:\n"}))
    assert (loaded.projects, loaded.groups) == ((), ())


def test_yaml_anchors_and_merge_keys_are_supported(write_files: WriteFiles) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                projects:
                  a/one:
                    settings: &strict {only_allow_merge_if_pipeline_succeeds: true, merge_method: ff}
                  a/two:
                    settings:
                      <<: *strict
                      merge_method: merge
                """
        }
    )
    one, two = load(main).projects
    assert one.config.settings.merge_method == "ff"
    assert (two.config.settings.merge_method, two.config.settings.only_allow_merge_if_pipeline_succeeds) == (
        "merge",
        True,
    )


class RecordingBlueprintCheck:
    """Stands in for the blueprint catalogue: python-package needs package_name (a string)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, variables: Mapping[str, Any], project_path: str) -> list[tuple[str, str]]:
        self.calls.append((name, dict(variables)))
        if name != "python-package":
            return [("blueprint", f"unknown blueprint {name!r}")]
        if "package_name" not in variables:
            return [("blueprint_vars.package_name", "missing blueprint variable")]
        if not isinstance(variables["package_name"], str):
            return [("blueprint_vars.package_name", "expected a string")]
        return []


def test_blueprint_problems_point_at_the_layer_that_wrote_the_value(write_files: WriteFiles) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults:
                  blueprint: python-package
                groups:
                  platform:
                    blueprint_vars: {package_name: 42}
                projects:
                  platform/billing: {}
                  platform/shipping: {}
                  search/api:
                    settings: {public_jobs: false}
                  search/ui:
                    blueprint_vars: {package_name: ui}
                """
        }
    )
    check = RecordingBlueprintCheck()

    found = lines(problems_of(main, check_blueprint=check), main.parent)

    assert found == [
        "inventory.yaml:6:36: groups.platform.blueprint_vars.package_name: expected a string",
        "inventory.yaml:10:3: projects.search/api.blueprint_vars.package_name: missing blueprint variable",
    ]
    assert ("python-package", {"package_name": "ui"}) in check.calls
    # Once per project (not per layer) in each reading: the one without positions found problems,
    # the one with them says where.
    assert len(check.calls) == 2 * 4
    assert check.calls[:4] == check.calls[4:]


def test_secret_problems_never_show_the_value(
    write_files: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHORT", "s3cret")
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                projects:
                  a/b:
                    variables:
                      TOKEN: {secret: "env:SHORT", masked: true}
                      LITERAL: {value: "not maskable", masked: true}
                """
        }
    )
    text = "\n".join(lines(problems_of(main), main.parent))
    assert "variables.TOKEN: GitLab cannot mask the value of env:SHORT" in text
    assert "variables.LITERAL: GitLab cannot mask this value" in text
    assert "s3cret" not in text and "not maskable" not in text


def test_a_reference_inherited_by_many_projects_is_reported_once(
    write_files: WriteFiles, file_keyring: PlaintextKeyring
) -> None:
    main = write_files(
        {
            "inventory.yaml": """\
                version: 1
                defaults:
                  variables: {DSN: {secret: "keyring:sentry/dsn"}}
                projects: {a/one: {}, a/two: {}, a/three: {}}
                """
        }
    )
    assert lines(problems_of(main), main.parent) == [
        "inventory.yaml:3:29: defaults.variables.DSN.secret: "
        "no keyring entry for service 'sentry', name 'dsn'"
    ]


def test_a_variable_named_items_or_prune_reads_as_written() -> None:
    variables = Variables.model_validate(
        {"items": "a", "prune": True, "B": [{"value": "b", "environment_scope": "p"}]}
    )
    assert sorted(variables.items) == ["B", "items"]
    assert variables.prune is True
    assert Variables.model_validate(variables.model_dump()) == variables
    assert variables.model_dump(exclude_defaults=True) == {
        "items": [{"value": "a"}],
        "B": [{"value": "b", "environment_scope": "p"}],
        "prune": True,
    }


def test_loading_makes_no_network_call(contract: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the loader opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert len(load(contract).projects) == 2


def _everything(loaded: Any) -> Any:
    specs = [(s.path, s.config, s.variables, s.inventory_dir) for s in loaded.projects]
    groups = [(g.path, g.variables, g.prune) for g in loaded.groups]
    return specs, groups, loaded.files, loaded.digest


def test_reading_without_positions_gives_what_reading_with_them_gives(contract: Path) -> None:
    """The first reading keeps no positions (a large inventory's memory); the result is the same, and
    only a located load names each project's (and group's) line."""
    quick, located = load(contract), load(contract, locate=True)
    assert _everything(quick) == _everything(located)
    assert [s.source.line for s in located.projects] and all(s.source.line for s in located.projects)
    assert all(s.source.line == 0 and s.source.file in quick.files for s in quick.projects)


def test_the_repository_inventory_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parents[2])
    inventory = Path("inventory.yaml")
    assert _everything(load_inventory(inventory)) == _everything(load_inventory(inventory, locate=True))


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nprojects:\n  a/b: {}\n  a/b: {}\n",  # a duplicate key: libyaml would refuse it
        "version: 1\nprojects:\n  a/b:\n    settings: &s {build_timeout: 60}\n  a/c:\n    settings: *s\n"
        "    blueprint_vars: {1: x}\n",  # an alias and a key that is not a string
        "version: 1\nprojects:\n  a/b:\n    settings: {build_timout: 60}\n",  # a problem to locate
        '{"version": 1, "projects": {"a/b": {}, "a/b": {}}}',  # JSON, read by json: a duplicate key
        '{"version": 1, "projects": {"a/b": {"settings": {"build_timout": 60}}}}',  # JSON with a problem
    ],
    ids=["duplicate-key", "alias-and-int-key", "unknown-key", "json-duplicate-key", "json-unknown-key"],
)
def test_a_problem_found_without_positions_is_told_where_it_is(write_files: WriteFiles, text: str) -> None:
    path = write_files({"inventory.yaml": text})
    problems = problems_of(path)
    assert problems and all(p.line > 0 for p in problems), problems


def test_a_json_inventory_reads_as_the_same_yaml_does(tmp_path: Path) -> None:
    """JSON (what generators write) is read by `json`, without the YAML composer's node tree; the
    projects are what YAML reads from the same data."""
    document = {
        "version": 1,
        "defaults": {"settings": {"build_timeout": 3600, "ci_default_git_depth": 20, "public_jobs": False}},
        "projects": {"a/b": {"variables": {"RATIO": "1e3", "EMPTY": {"value": ""}}}, "a/c": None},
    }
    as_json, as_yaml = tmp_path / "inventory.json", tmp_path / "inventory.yaml"
    as_json.write_text(json.dumps(document, indent=1), encoding="utf-8")
    as_yaml.write_text(
        "version: 1\ndefaults:\n  settings: {build_timeout: 3600, ci_default_git_depth: 20, public_jobs: false}\n"
        "projects:\n  a/b:\n    variables: {RATIO: '1e3', EMPTY: {value: ''}}\n  a/c:\n",
        encoding="utf-8",
    )

    def projects(path: Path) -> Any:
        loaded = load_inventory(path)
        return [(s.path, s.config, s.variables) for s in loaded.projects], loaded.digest

    assert projects(as_json) == projects(as_yaml)
