"""The benchmark's workload: N projects in one group, each with the full configuration.

The python-package blueprint (scaffolding committed by the files facet), settings, variables (literals, two environment scopes, a masked secret and a hidden one), runners
(toggles and one project runner created per project), registry (access levels, cleanup policy, job
token scope with an allowlisted group, one deploy token, package and container protection rules),
protection (default branch and release tags), and (with `onboarding`) what a platform team sets when it
onboards a team: merge request approval settings and a rule, the push rule, a chat webhook with its
token, two members, a share with a readers' group, one deploy key every project enables, and the
blueprint README's nightly dependency-check schedule with one variable (none of these is in the
GitLabForm-equivalent workload). One-time tokens go to files under the work directory. The users and
the group these name are made by `SETUP`, through the API, before the runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

GROUP = "bulk"
SECRET_ENV = {
    "BENCH_PYPI_TOKEN": "pypi-AgEIcHlwaS5vcmc-bench",
    "BENCH_SIGNING_KEY": "c2lnbmluZy1rZXktYmVuY2g",
    "BENCH_HOOK_TOKEN": "hook-token-bench-5e6f7a8b",
}

SETTINGS = {
    "build_timeout": 3600,
    "auto_cancel_pending_pipelines": "enabled",
    "ci_default_git_depth": 20,
    "keep_latest_artifact": True,
    "public_jobs": False,
    "only_allow_merge_if_pipeline_succeeds": True,
    "remove_source_branch_after_merge": True,
    "merge_method": "ff",
    "squash_option": "default_on",
    # lets the schedules' variables be set (GitLab 17.7+ defaults new projects to no_one_allowed)
    "ci_pipeline_variables_minimum_override_role": "developer",
}
VARIABLES: dict[str, Any] = {
    "PIP_INDEX_URL": "https://pypi.org/simple",
    "LOG_LEVEL": {"value": "info", "description": "Log level of the test jobs"},
    "DEPLOY_TARGET": [
        {"value": "prod-cluster", "environment_scope": "production"},
        {"value": "staging-cluster", "environment_scope": "staging"},
    ],
    "PYPI_TOKEN": {"secret": "env:BENCH_PYPI_TOKEN", "masked": True, "protected": True},
    "SIGNING_KEY": {"secret": "env:BENCH_SIGNING_KEY", "masked": True, "hidden": True},
}
REGISTRY: dict[str, Any] = {
    "container_registry_access_level": "enabled",
    "package_registry_access_level": "enabled",
    "cleanup_policy": {
        "enabled": True,
        "cadence": "7d",
        "keep_n": 10,
        "older_than": "30d",
        "name_regex": ".*",
    },
    "job_token_scope": {"enabled": True, "groups": [GROUP]},
    "package_protection_rules": [
        {
            "package_name_pattern": "bench-*",
            "package_type": "pypi",
            "minimum_access_level_for_push": "maintainer",
        }
    ],
}
# Every change through a merge request. Lowering a level GitLab already grants (the seeded `main` is
# protected with Maintainer push and merge, as GitLab protects a new project's default branch) is
# something GitLabForm cannot do on an EE server: it PATCHes `allowed_to_*` additively, so merge
# "developer" over "maintainer" leaves both, [30, 40] (its branches processor's "Additive Design";
# it destroys an existing level only for "no one"); it unprotects and protects again only on CE and
# before 15.6. These levels are reached by both tools, so the comparison is of the same end state.
PROTECTION = {
    "default_branch": {"push_access_level": "no_one", "merge_access_level": "maintainer"},
    "tags": {"v*": {"create_access_level": "maintainer"}},
}


# Merge request approvals, the push rule and a chat webhook (GitLab Premium, as the sandbox serves by
# default): what a platform team's onboarding sets on every project. None of them is in GitLab's
# GraphQL in full (see the README's "Reads in bulk"), so each adds REST reads per project.
APPROVAL_SETTINGS = {
    "reset_approvals_on_push": True,
    "disable_overriding_approvers_per_merge_request": True,
    "merge_requests_author_approval": False,
    "merge_requests_disable_committers_approval": True,
}
APPROVAL_RULES = {
    "rules": {"Maintainers": {"approvals_required": 1, "groups": [GROUP], "protected_branches": ["main"]}}
}
PUSH_RULES = {
    "commit_message_negative_regex": "(?i)wip|do not merge",
    "branch_name_regex": "^(main|(feat|fix|chore)/[a-z0-9._-]+)$",
    "deny_delete_tag": True,
    "prevent_secrets": True,
    "max_file_size": 100,
}
WEBHOOKS = {
    "hooks": [
        {
            "url": "https://chat.example.com/hooks/gitlab",
            "events": ["push_events", "merge_requests_events", "pipeline_events"],
            "secret": "env:BENCH_HOOK_TOKEN",
        }
    ]
}
READERS = "bench-readers"
SETUP: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/users", {"username": "bench-dev", "name": "Bench Dev", "email": "dev@bench.test"}),
    ("POST", "/users", {"username": "bench-lead", "name": "Bench Lead", "email": "lead@bench.test"}),
    ("POST", "/groups", {"name": READERS, "path": READERS}),
]
"""API requests (as the administrator) that make what the onboarding sections name."""
MEMBERS = {"users": {"bench-dev": "developer", "bench-lead": "maintainer"}}
SHARES = {"groups": {READERS: "reporter"}}
DEPLOY_KEYS = {
    "keys": [
        {
            "title": "bench-deploy",
            "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILkYXU2fVeO4/0rDCSsswP5iIX2+B6tv15YT3KObgyDl bench",
        }
    ]
}
SCHEDULES = {
    "schedules": {
        "nightly dependency check": {
            "cron": "0 3 * * *",
            "active": False,
            "variables": {"DEPENDENCY_CHECK": "1"},
        }
    }
}


def project_path(index: int) -> str:
    return f"{GROUP}/project-{index:05d}"  # as the sandbox's bulk seed names them


ONBOARDING = {
    "approval_settings": APPROVAL_SETTINGS,
    "approval_rules": APPROVAL_RULES,
    "push_rules": PUSH_RULES,
    "webhooks": WEBHOOKS,
    "members": MEMBERS,
    "shares": SHARES,
    "deploy_keys": DEPLOY_KEYS,
    "pipeline_schedules": SCHEDULES,
}


def inventory(count: int, *, full: bool = True, onboarding: bool = True) -> dict[str, Any]:
    """The full configuration, or (full=False) only what GitLabForm can express too (see
    `gitlabform_config`): the same work for both tools, for the ratios. `onboarding=False` leaves out
    the onboarding sections (and so needs no `SETUP`)."""
    if not full:
        return _equivalent(count)
    projects = {}
    for index in range(count):
        path = project_path(index)
        name = path.rsplit("/", 1)[1]
        projects[path] = {
            "runners": {
                "create": [
                    {
                        "description": "bench-runner",
                        "tags": ["bench"],
                        "token": {"file": f"tokens/{name}-runner"},
                    }
                ]
            },
            "registry": {
                "deploy_tokens": [
                    {
                        "name": "ci-pull",
                        "scopes": ["read_registry"],
                        "token": {"file": f"tokens/{name}-deploy"},
                    }
                ],
                "container_protection_rules": [
                    {"repository_path_pattern": f"{path}/*", "minimum_access_level_for_push": "maintainer"}
                ],
            },
        }
    return {
        "version": 1,
        "defaults": {
            "blueprint": "python-package",
            "settings": SETTINGS,
            "variables": VARIABLES,
            "runners": {"shared_runners_enabled": True, "group_runners_enabled": False},
            "registry": REGISTRY,
            "protection": PROTECTION,
            "approval_settings": APPROVAL_SETTINGS,
            "approval_rules": APPROVAL_RULES,
            "push_rules": PUSH_RULES,
            "webhooks": WEBHOOKS,
            **(ONBOARDING if onboarding else {}),
        },
        "projects": projects,
    }


def _equivalent(count: int) -> dict[str, Any]:
    registry = {k: v for k, v in REGISTRY.items() if k != "package_protection_rules"}
    return {
        "version": 1,
        "defaults": {
            "settings": SETTINGS,
            "variables": {k: v for k, v in VARIABLES.items() if k != "SIGNING_KEY"},
            "runners": {"shared_runners_enabled": True, "group_runners_enabled": False},
            "registry": registry,
            "protection": PROTECTION,
        },
        "projects": {project_path(i): {} for i in range(count)},
    }


def write_inventory(directory: Path, count: int, *, full: bool = True) -> Path:
    import json

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ("inventory.yaml" if full else "inventory-equivalent.yaml")
    # JSON is YAML: quick to write for 10,000 projects, and the loader reads it with positions.
    path.write_text(json.dumps(inventory(count, full=full), indent=1), encoding="utf-8")
    return path


def gitlabform_config() -> dict[str, Any]:
    """The same workload for GitLabForm (6.x), as far as it can express it.

    GitLabForm has no section for project runners, deploy tokens, package or container protection
    rules, nor for hidden variables, nor for blueprint scaffolding: those parts are left out of its
    run, and out of the provisioner run its ratios are computed against (`inventory(count,
    full=False)`). The benchmark checks that this is the same end state: after GitLabForm's cold
    apply, provisioner's plan of that inventory must be empty.
    """
    variables: dict[str, Any] = {}
    for key, entry in VARIABLES.items():
        if key == "SIGNING_KEY":
            continue  # hidden: GitLabForm cannot create hidden variables
        for item in entry if isinstance(entry, list) else [entry]:
            item = item if isinstance(item, dict) else {"value": item}
            value = SECRET_ENV[item["secret"].removeprefix("env:")] if "secret" in item else item["value"]
            scope = item.get("environment_scope", "*")
            body = {"key": key, "value": value, "environment_scope": scope}
            body.update({k: item[k] for k in ("masked", "protected", "description") if k in item})
            variables[key if scope == "*" else f"{key}_{scope}"] = body
    return {
        "config_version": 4,
        "projects_and_groups": {
            f"{GROUP}/*": {
                "project_settings": {
                    **SETTINGS,
                    "shared_runners_enabled": True,
                    "group_runners_enabled": False,
                    "container_registry_access_level": REGISTRY["container_registry_access_level"],
                    "package_registry_access_level": REGISTRY["package_registry_access_level"],
                    "container_expiration_policy_attributes": REGISTRY["cleanup_policy"],
                },
                "variables": variables,
                "branches": {"main": {"protected": True, "push_access_level": 0, "merge_access_level": 40}},
                "tags": {"v*": {"protected": True, "create_access_level": 40}},
                "job_token_scope": {"limit_access_to_this_project": True, "allowlist": {"groups": [GROUP]}},
            }
        },
    }
