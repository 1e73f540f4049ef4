"""Starting worlds: `empty` (the admin user and token) and `demo` (the README's world), plus a fast
bulk seed for benchmarks.

The demo world (ids are stable; the timestamps are frozen):

- users: `root` (admin, the token `serve` prints: api, read_api, create_runner, manage_runner, sudo);
  `dana`, Developer in `platform`, token `glpat-dana-sandbox-000001` (api);
  `rita`, Reporter in `data`, token `glpat-rita-sandbox-000002` (read_api only).
- groups `platform`, `platform/libs`, `data` (variable `DATA_LAKE_URL=s3://lake/raw`).
- `platform/billing`: README on `main`; build_timeout 600, auto_cancel "disabled", shared runners on;
  variables `PIP_INDEX_URL` (stale value) and `LEGACY_FLAG=1`; owns the project runner `platform-docker`.
- `platform/payments`: README and `src/payments/__init__.py`; `main` protected, push: no one, merge: 40.
- `platform/auth-service`: README; deploy token `registry-read` (read_registry); cleanup policy disabled.
- `platform/libs/common-utils`: an old hand-written `.gitlab-ci.yml` and the team's `pyproject.toml`.
- `platform/libs/http-client`: README; settings at the usual defaults.
- `data/ingest`: an empty repository.
- `data/reports`: README; masked `REPORTS_API_KEY`, hidden `DB_PASSWORD`, `DEPLOY_TARGET` in two scopes.
- `data/warehouse`: README; shared runners on; project runner `warehouse-shell`; inbound job token scope off.
- `data/ml-pipeline`: README; container and package registries disabled.
- `data/legacy-etl`: README on `master`.
- runners: instance `gitlab-shared-docker` (docker, linux), group `data-gpu` on `data` (gpu).
Every project with a README has its default branch protected (push and merge: Maintainers), as
GitLab's default branch protection does, except `payments` (push: no one).
"""

from __future__ import annotations

from provisioner.sandbox.routes.users import add_token, add_user
from provisioner.sandbox.state import (
    DEVELOPER,
    NO_ONE,
    REPORTER,
    DeployToken,
    Namespace,
    Project,
    Runner,
    State,
    User,
    Variable,
    frozen_time,
)
from provisioner.sandbox.world import add_member, commit_files, new_group, new_project

ADMIN_TOKEN_NAME = "sandbox-admin"
ADMIN_SCOPES = ["api", "read_api", "create_runner", "manage_runner", "sudo"]
DANA_TOKEN = "glpat-dana-sandbox-000001"
RITA_TOKEN = "glpat-rita-sandbox-000002"
DEMO_TIME = "2025-06-02T09:00:00.000Z"

OLD_CI = """\
# Hand-written before the platform blueprint existed.
test:
  image: python:3.10
  script:
    - python -m unittest
"""
TEAM_PYPROJECT = """\
# Owned by the common-utils team: edit freely, keep the comments.
[project]
name = "common-utils"
version = "1.4.2"
description = "Small helpers shared by platform services"
requires-python = ">=3.10"
dependencies = [
    "requests>=2",  # HTTP helpers
]

[tool.black]
line-length = 100
target-version = ["py310"]
"""


def seeded(kind: str, admin_token: str) -> State:
    if kind == "demo":
        return demo(admin_token)
    if kind == "empty":
        return empty(admin_token)
    raise ValueError(f"unknown seed {kind!r}: use 'empty' or 'demo'")


def empty(admin_token: str) -> State:
    state = State()
    with frozen_time(DEMO_TIME):
        root = add_user(state, "root", "Administrator", "admin@sandbox.test", is_admin=True)
        add_token(state, root, ADMIN_TOKEN_NAME, list(ADMIN_SCOPES), secret=admin_token)
    return state


def admin_token_of(state: State) -> str | None:
    """The admin token of a saved world (so that a restarted sandbox prints the same one)."""
    for token in state.tokens.values():
        if token.name == ADMIN_TOKEN_NAME and state.users[token.user_id].is_admin and not token.revoked:
            return token.secret
    return None


def demo(admin_token: str) -> State:
    state = empty(admin_token)
    with frozen_time(DEMO_TIME):
        _demo(state)
    return state


def _demo(state: State) -> None:
    root = state.users[1]
    dana = add_user(state, "dana", "Dana Developer", "dana@sandbox.test")
    rita = add_user(state, "rita", "Rita Reporter", "rita@sandbox.test")
    add_token(state, dana, "dana-api", ["api"], secret=DANA_TOKEN)
    add_token(state, rita, "rita-read", ["read_api"], secret=RITA_TOKEN)
    platform = new_group(state, "Platform", "platform")
    libs = new_group(state, "Libs", "libs", parent_id=platform.id)
    data = new_group(state, "Data", "data")
    add_member(platform, dana, DEVELOPER)
    add_member(data, rita, REPORTER)
    data.variables.append(Variable("DATA_LAKE_URL", "s3://lake/raw"))

    billing = _project(
        state, root, platform, "billing", build_timeout=600, auto_cancel_pending_pipelines="disabled"
    )
    billing.variables += [Variable("PIP_INDEX_URL", "https://pypi.org/simple"), Variable("LEGACY_FLAG", "1")]

    payments = _project(state, root, platform, "payments")
    commit_files(state, payments, root, "main", "Add the payments package", {"src/payments/__init__.py": ""})
    for level in payments.protected_branches[0].push:
        level.access_level = NO_ONE

    auth = _project(state, root, platform, "auth-service")
    auth.container_policy["enabled"] = False
    token_id = state.next_id("deploy_token")
    state.deploy_tokens[token_id] = DeployToken(
        id=token_id,
        name="registry-read",
        username="gitlab+deploy-token-1",
        secret="gldt-sandbox-registry-read",
        scopes=["read_registry"],
        project_id=auth.id,
    )

    utils = _project(state, root, libs, "common-utils")
    commit_files(
        state,
        utils,
        root,
        "main",
        "Add CI and packaging",
        {".gitlab-ci.yml": OLD_CI, "pyproject.toml": TEAM_PYPROJECT},
    )
    _project(state, root, libs, "http-client", build_timeout=3600, auto_cancel_pending_pipelines="enabled")
    new_project(state, root, data, "ingest", "ingest")

    reports = _project(state, root, data, "reports")
    reports.variables += [
        Variable("REPORTS_API_KEY", "rk_4f9a8b7c6d5e", masked=True),
        Variable("DB_PASSWORD", "Pg-sandbox-2025-x9", masked=True, hidden=True),
        Variable("DEPLOY_TARGET", "prod-cluster", environment_scope="production"),
        Variable("DEPLOY_TARGET", "staging-cluster", environment_scope="staging"),
    ]

    warehouse = _project(state, root, data, "warehouse", shared_runners_enabled=True)
    warehouse.job_token_inbound_enabled = False
    ml = _project(state, root, data, "ml-pipeline")
    ml.settings["container_registry_access_level"] = "disabled"
    ml.settings["package_registry_access_level"] = "disabled"
    _project(state, root, data, "legacy-etl", branch="master")

    _runner(state, "instance_type", "gitlab-shared-docker", ["docker", "linux"])
    _runner(state, "group_type", "data-gpu", ["gpu"], group_ids=[data.id])
    _runner(state, "project_type", "platform-docker", ["docker", "python"], project_ids=[billing.id])
    _runner(state, "project_type", "warehouse-shell", ["shell"], project_ids=[warehouse.id])


def _project(
    state: State, owner: User, group: Namespace, path: str, *, branch: str = "main", **settings: object
) -> Project:
    return new_project(
        state, owner, group, path, path, settings=settings, initialize_with_readme=True, default_branch=branch
    )


def _runner(
    state: State,
    kind: str,
    description: str,
    tags: list[str],
    *,
    group_ids: list[int] | None = None,
    project_ids: list[int] | None = None,
) -> Runner:
    runner_id = state.next_id("runner")
    runner = Runner(
        id=runner_id,
        runner_type=kind,
        token=f"glrt-sandbox-demo-{runner_id:04d}",
        created_at=DEMO_TIME,
        description=description,
        tag_list=tags,
        group_ids=group_ids or [],
        project_ids=project_ids or [],
        contacted_at=DEMO_TIME,
    )
    state.runners[runner.id] = runner
    return runner


def seed_projects(state: State, count: int, *, group: str = "bulk") -> list[int]:
    """`count` projects with a README in group `group` (created if missing), as fast as possible."""
    root = next(u for u in state.users.values() if u.is_admin)
    ns_id = state.namespace_paths.get(group.lower())
    namespace = state.namespaces[ns_id] if ns_id is not None else new_group(state, group, group)
    start = sum(1 for p in state.projects.values() if p.namespace_id == namespace.id)
    ids = []
    for index in range(start, start + count):
        name = f"project-{index:05d}"
        ids.append(new_project(state, root, namespace, name, name, initialize_with_readme=True).id)
    return ids
