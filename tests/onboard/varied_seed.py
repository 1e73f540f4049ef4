"""A world of many projects that differ in every way `import` must reproduce, built straight into the
sandbox's state (fast, deterministic): group `estate` with teams and subteams; projects with varied
settings, variables (plain, masked, hidden, file-type, multi-scope, protected, raw, described),
runners (owned and shared), registry settings (levels, cleanup policies, job token scopes and
allowlists, deploy tokens, package and container protection rules) and protected branches and tags.

Some values are shared by most projects of a group (so that import has something to factor) and
some masked values are equal across projects (so that sharing them is possible), others differ.
"""

from __future__ import annotations

import random

from provisioner.sandbox.state import (
    DEVELOPER,
    MAINTAINER,
    NO_ONE,
    AccessLevel,
    ContainerProtectionRule,
    DeployToken,
    Namespace,
    PackageProtectionRule,
    Project,
    ProtectedTag,
    Runner,
    State,
    Variable,
)
from provisioner.sandbox.world import commit_files, new_group, new_project, protect_branch

ROOT = "estate"
ADMIN_LEVEL = 60
SHARED_MASKED_VALUE = "shared-registry-token-0042"  # equal in several projects: may be shared
CA_BUNDLE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"


def seed_varied(state: State, count: int = 200, *, seed: int = 20250602) -> list[Project]:
    rng = random.Random(seed)
    admin = next(u for u in state.users.values() if u.is_admin)
    root = new_group(state, "Estate", ROOT, visibility="public")
    teams = [
        new_group(state, f"Team {i}", f"team-{i}", parent_id=root.id, visibility=vis)
        for i, vis in enumerate(["public", "internal", "private", "private", "public"])
    ]
    subteams = [
        new_group(state, "Sub A", "sub-a", parent_id=teams[1].id, visibility="internal"),
        new_group(state, "Sub B", "sub-b", parent_id=teams[3].id, visibility="private"),
    ]
    homes = [root, *teams, *subteams]
    teams[2].variables.append(Variable("TEAM_CHANNEL", "#team-2"))
    teams[0].variables.append(Variable("TEAM_TOKEN", "team-0-group-secret-1", masked=True))

    projects: list[Project] = []
    for index in range(count):
        home = homes[index % len(homes)] if index % 9 else root
        projects.append(_project(state, rng, admin, home, index))
    shared = _runner(state, "shared-docker", ["docker"], [projects[0].id])
    for project in rng.sample(projects[1:], 25):
        shared.project_ids.append(project.id)
    for project in projects:
        _job_token(state, rng, project, projects, teams)
    return projects


def _project(state: State, rng: random.Random, admin: object, home: Namespace, index: int) -> Project:
    team = home.path
    visibility = home.visibility if rng.random() < 0.7 else "private"
    settings: dict[str, object] = {
        "build_timeout": rng.choice([3600, 3600, 3600, 600, 7200]),
        "auto_cancel_pending_pipelines": rng.choice(["enabled", "enabled", "disabled"]),
        "merge_method": rng.choice(["merge", "merge", "ff", "rebase_merge"]),
        "squash_option": rng.choice(["default_off", "default_off", "always", "never"]),
        "ci_default_git_depth": rng.choice([20, 20, 50, 0]),
        "only_allow_merge_if_pipeline_succeeds": team in ("team-1", "sub-a") or rng.random() < 0.2,
        "public_jobs": rng.random() < 0.8,
        "shared_runners_enabled": rng.random() < 0.75,
        "group_runners_enabled": rng.random() < 0.9,
        "container_registry_access_level": rng.choice(["enabled", "enabled", "private", "disabled"]),
        "package_registry_access_level": rng.choice(["enabled", "enabled", "private", "disabled", "public"]),
        "keep_latest_artifact": rng.random() < 0.6,
    }
    if rng.random() < 0.2:
        settings["ci_config_path"] = "ci/pipeline.yml"
    if rng.random() < 0.15:
        settings["max_artifacts_size"] = rng.choice([100, 500])
    if rng.random() < 0.1:
        settings["ci_delete_pipelines_in_seconds"] = 86400 * 30
    empty = index % 23 == 5
    branch = rng.choice(["main"] * 6 + ["master", "develop"])
    name = f"svc-{index:03d}"
    project = new_project(
        state,
        admin,  # type: ignore[arg-type]
        home,
        name,
        name,
        settings=settings,
        visibility=visibility,
        description=rng.choice(["", "", f"Service {index}", None]),
        topics=rng.choice([[], [], ["python"], ["python", "api"], [team]]),
        initialize_with_readme=not empty,
        default_branch=branch,
    )
    project.container_policy.update(
        enabled=rng.random() < 0.5,
        cadence=rng.choice(["1d", "7d", "14d", "1month"]),
        keep_n=rng.choice([1, 5, 10, 25, None]),
        older_than=rng.choice(["7d", "14d", "30d", "90d", None]),
        name_regex=rng.choice([".*", ".*", "^dev-.*"]),
        name_regex_keep=rng.choice([None, None, "^v.*"]),
    )
    _variables(rng, project, team, index)
    if not empty:
        _protection(state, rng, project, branch)
        if rng.random() < 0.2:
            commit_files(state, project, admin, branch, "CI", {".gitlab-ci.yml": "test: {script: [true]}\n"})  # type: ignore[arg-type]
    _registry(state, rng, project)
    if rng.random() < 0.15:
        _runner(state, f"{name}-runner", rng.choice([["shell"], ["docker", "gpu"], []]), [project.id])
    return project


def _variables(rng: random.Random, project: Project, team: str, index: int) -> None:
    found = project.variables
    if team != "team-3" or rng.random() < 0.3:
        found.append(Variable("PIP_INDEX_URL", f"https://pypi.{team}.example/simple"))
    if rng.random() < 0.5:
        found.append(Variable("LOG_LEVEL", rng.choice(["info", "info", "debug"])))
    if team == "team-2" or rng.random() < 0.1:
        found.append(Variable("REGISTRY_TOKEN", SHARED_MASKED_VALUE, masked=True, protected=True))
    if rng.random() < 0.3:
        found.append(Variable("API_KEY", f"key-{index:04d}-{rng.randrange(10**8):08d}", masked=True))
    if rng.random() < 0.2:
        found.append(Variable("DB_PASSWORD", f"Pg-{index:04d}-secret", masked=True, hidden=True))
    if rng.random() < 0.2:
        found.append(Variable("CA_BUNDLE", CA_BUNDLE, variable_type="file", description="TLS roots"))
    if rng.random() < 0.3:
        found += [
            Variable("DEPLOY_TARGET", "prod-cluster", environment_scope="production", protected=True),
            Variable("DEPLOY_TARGET", f"staging-{index % 3}", environment_scope="staging"),
        ]
    if rng.random() < 0.1:
        found.append(Variable("TEMPLATE", "$HOME/${NAME}", raw=True))
    if rng.random() < 0.05:
        found.append(Variable("EMPTY", ""))


def _protection(state: State, rng: random.Random, project: Project, branch: str) -> None:
    rule = project.protected_branches[0]  # the default branch, protected when the README was made
    if rng.random() < 0.2:
        rule.push[0].access_level = rng.choice([NO_ONE, DEVELOPER])
    if rng.random() < 0.1:
        rule.merge[0].access_level = DEVELOPER
    if rng.random() < 0.1:
        rule.allow_force_push = True
    if rng.random() < 0.08:
        project.protected_branches.remove(rule)
    if rng.random() < 0.3:
        protect_branch(state, project, "release/*", push=NO_ONE, merge=MAINTAINER)
    if rng.random() < 0.5:
        level = rng.choice([MAINTAINER, MAINTAINER, DEVELOPER, ADMIN_LEVEL])
        access = AccessLevel(state.next_id("access_level"), level)
        project.protected_tags.append(ProtectedTag(state.next_id("protected_tag"), "v*", [access]))


def _registry(state: State, rng: random.Random, project: Project) -> None:
    if rng.random() < 0.25:
        for name in rng.choice([["pull"], ["pull", "ci-push"], ["pull", "pull"]]):
            token_id = state.next_id("deploy_token")
            state.deploy_tokens[token_id] = DeployToken(
                id=token_id,
                name=name,
                username=f"gitlab+deploy-token-{token_id}",
                secret=f"gldt-varied-{token_id:05d}",
                scopes=["read_registry"] if name == "pull" else ["read_registry", "write_registry"],
                project_id=project.id,
                expires_at=rng.choice([None, "2031-01-01"]),
            )
    if rng.random() < 0.2:
        project.package_protection_rules.append(
            PackageProtectionRule(
                state.next_id("package_rule"),
                f"@{project.path}/*",
                rng.choice(["npm", "pypi"]),
                rng.choice(["maintainer", "owner"]),
                rng.choice([None, "owner"]),
            )
        )
    if rng.random() < 0.2:
        push, delete = rng.choice([("maintainer", None), (None, "admin"), ("owner", "owner")])
        project.container_protection_rules.append(
            ContainerProtectionRule(state.next_id("container_rule"), f"{project.path}/*", push, delete)
        )


def _job_token(
    state: State, rng: random.Random, project: Project, projects: list[Project], teams: list[Namespace]
) -> None:
    if rng.random() < 0.2:
        project.job_token_inbound_enabled = False
    if rng.random() < 0.15:
        others = [p.id for p in rng.sample(projects, 2) if p.id != project.id]
        project.job_token_allowlist_projects.extend(others)
    if rng.random() < 0.1:
        project.job_token_allowlist_groups.append(rng.choice(teams).id)


def _runner(state: State, description: str, tags: list[str], project_ids: list[int]) -> Runner:
    runner_id = state.next_id("runner")
    runner = Runner(
        id=runner_id,
        runner_type="project_type",
        token=f"glrt-varied-{runner_id:05d}",
        created_at="2025-06-02T09:00:00.000Z",
        description=description,
        tag_list=tags,
        project_ids=list(project_ids),
    )
    state.runners[runner_id] = runner
    return runner
