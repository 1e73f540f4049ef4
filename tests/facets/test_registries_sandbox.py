"""The registry facet against the sandbox over HTTP: every write, convergence, GitLab's quirks."""

from __future__ import annotations

from datetime import date

import keyring
import requests

from provisioner.inventory.schema import (
    CleanupPolicy,
    ContainerProtectionRule,
    DeployToken,
    JobTokenScope,
    PackageProtectionRule,
    Registry,
    TokenStore,
)
from tests.facets.sandbox_world import World, applied, converge, pending, problems, spec

AUTH = "platform/auth-service"


def project(world: World, path: str) -> dict:
    return world.get(f"/projects/{path.replace('/', '%2F')}")


def active_tokens(world: World, path: str) -> list[dict]:
    return world.get(f"/projects/{world.project_id(path)}/deploy_tokens", active="true")


def secret_of(world: World, token_id: int) -> str:
    """GitLab shows a deploy token's secret once; the simulator still knows it, to prove ours works."""
    return str(world.server.state.deploy_tokens[token_id].secret)


def test_access_levels_are_written_with_one_put_and_converge(world: World):
    config = Registry(container_registry_access_level="private", package_registry_access_level="public")
    result = converge(world, [spec("data/ml-pipeline", registry=config)])
    assert applied(result) == [("update", "registry access")]
    entity = project(world, "data/ml-pipeline")
    assert (entity["container_registry_access_level"], entity["package_registry_access_level"]) == (
        "private",
        "public",
    )


def test_before_17_10_the_package_registry_falls_back_to_packages_enabled(world: World):
    """`package_registry_access_level` came with 17.10 ([G:doc/api/projects.md] 'packages_enabled
    deprecated in 17.10', gitlab-org/gitlab!170122; provisioner.gitlab_versions): before, "enabled" and
    "disabled" are written as `packages_enabled`, and "private" or "public" need 17.10."""
    world.set_version("17.9.2-ee")
    assert "package_registry_access_level" not in project(world, AUTH)
    result = converge(world, [spec(AUTH, registry=Registry(package_registry_access_level="disabled"))])
    assert [c.after for p in result.projects for c in p.applied] == [{"packages_enabled": False}]
    assert project(world, AUTH)["packages_enabled"] is False

    world.reset_counters()
    public = world.run([spec(AUTH, registry=Registry(package_registry_access_level="public"))])
    assert (problems(public), pending(public), world.writes()) == ([], [], 0)
    (finding,) = [c for p in public.projects for c in p.planned]
    assert (finding.action.value, finding.after["needs"]) == ("unsupported", "needs GitLab 17.10")


def test_cleanup_policy_written_once_reads_back_equal(world: World):
    """DESIGN.md trap: written as container_expiration_policy_attributes, read back as
    container_expiration_policy with name_regex_delete and next_run_at; the second apply writes nothing."""
    policy = CleanupPolicy(
        enabled=True, cadence="7d", keep_n=5, older_than="30d", name_regex="^dev-.*", name_regex_keep="^v\\d+"
    )
    result = converge(world, [spec(AUTH, registry=Registry(cleanup_policy=policy))])
    assert applied(result) == [("update", "container cleanup policy")]
    read = project(world, AUTH)["container_expiration_policy"]
    assert read["name_regex_delete"] == "^dev-.*" and read["next_run_at"] is not None
    assert (read["enabled"], read["cadence"], read["keep_n"], read["older_than"]) == (True, "7d", 5, "30d")


def test_job_token_scope_patch_answers_204_without_a_body(world: World):
    pid = world.project_id("data/warehouse")
    raw = requests.patch(
        f"{world.url}/api/v4/projects/{pid}/job_token_scope",
        json={"enabled": False},
        headers={"PRIVATE-TOKEN": world.token},
        timeout=15,
    )
    assert (raw.status_code, raw.content) == (204, b"")
    api = world.api()
    try:
        assert api.patch(f"/projects/{pid}/job_token_scope", {"enabled": True}) is None
    finally:
        api.close()
    assert world.get(f"/projects/{pid}/job_token_scope")["inbound_enabled"] is True


def test_job_token_scope_and_allowlists_by_path(world: World):
    scope = JobTokenScope(enabled=True, projects=["platform/payments", "data/warehouse"], groups=["platform"])
    result = converge(world, [spec("data/warehouse", registry=Registry(job_token_scope=scope))])
    assert applied(result) == [
        ("update", "job token scope"),
        ("create", 'job token allowlist project "platform/payments"'),
        ("create", 'job token allowlist group "platform"'),
    ]
    pid = world.project_id("data/warehouse")
    assert world.get(f"/projects/{pid}/job_token_scope")["inbound_enabled"] is True
    listed = {p["path_with_namespace"] for p in world.get(f"/projects/{pid}/job_token_scope/allowlist")}
    assert listed == {"data/warehouse", "platform/payments"}  # the project itself is always listed

    pruned = JobTokenScope(projects=[], groups=[], prune=True)
    result = converge(world, [spec("data/warehouse", registry=Registry(job_token_scope=pruned))])
    assert sorted(applied(result)) == [
        ("delete", 'job token allowlist group "platform"'),
        ("delete", 'job token allowlist project "platform/payments"'),
    ]
    assert world.get(f"/projects/{pid}/job_token_scope/groups_allowlist") == []


def test_an_allowlisted_path_that_does_not_exist_is_a_problem_for_that_project_only(world: World):
    world.reset_counters()
    bad = spec("data/warehouse", registry=Registry(job_token_scope=JobTokenScope(projects=["nope/missing"])))
    good = spec("data/reports", registry=Registry(container_registry_access_level="private"))
    result = world.run([bad, good])
    by_project = {r.project: [p.message for p in r.problems] for r in result.projects}
    assert by_project == {
        "data/warehouse": [
            "job token allowlist: project nope/missing not found (or not visible to this token)"
        ],
        "data/reports": [],
    }
    assert world.writes() == 1


def test_deploy_tokens_created_once_and_replaced_only_with_rotate(world: World):
    tokens = [
        DeployToken(name="registry-read", scopes=["read_registry"]),
        DeployToken(
            name="pypi-upload",
            scopes=["write_package_registry", "read_package_registry"],
            expires_at=date(2031, 1, 1),
        ),
    ]
    result = converge(world, [spec(AUTH, registry=Registry(deploy_tokens=tokens))])
    assert applied(result) == [("create", 'deploy token "pypi-upload"')]
    (upload,) = [t for t in active_tokens(world, AUTH) if t["name"] == "pypi-upload"]
    stored = keyring.get_password("provisioner-deploy-token", "platform/auth-service/pypi-upload")
    assert stored == secret_of(world, upload["id"])

    changed = [DeployToken(name="registry-read", scopes=["read_registry", "write_registry"]), tokens[1]]
    world.reset_counters()
    plan = world.run([spec(AUTH, registry=Registry(deploy_tokens=changed))], "plan")
    assert [(c["action"], c["target"]) for c in pending(plan)] == [
        ("replace", 'deploy token "registry-read"')
    ]
    refused = world.run([spec(AUTH, registry=Registry(deploy_tokens=changed))], "apply")
    assert problems(refused) == [
        'registry: deploy token "registry-read": differs from the inventory, and GitLab cannot change a deploy '
        "token; run apply --rotate to replace the token (nothing of the registry facet was applied)"
    ]
    assert world.writes() == 0

    result = converge(world, [spec(AUTH, registry=Registry(deploy_tokens=changed))], rotate=True)
    assert applied(result) == [("replace", 'deploy token "registry-read"')]
    (read,) = [t for t in active_tokens(world, AUTH) if t["name"] == "registry-read"]
    assert sorted(read["scopes"]) == ["read_registry", "write_registry"]
    assert keyring.get_password(
        "provisioner-deploy-token", "platform/auth-service/registry-read"
    ) == secret_of(world, read["id"])


def test_deploy_token_to_a_file(world: World):
    token = DeployToken(name="ci", scopes=["read_repository"], token=TokenStore(file="ci.token"))
    converge(world, [spec(AUTH, registry=Registry(deploy_tokens=[token]))])
    (ci,) = [t for t in active_tokens(world, AUTH) if t["name"] == "ci"]
    assert (world.inventory_dir / "ci.token").read_text().strip() == secret_of(world, ci["id"])


def test_protection_rules_create_update_delete(world: World):
    pid = world.project_id(AUTH)
    world.request(
        "POST",
        f"/projects/{pid}/packages/protection/rules",
        json={
            "package_name_pattern": "old-*",
            "package_type": "npm",
            "minimum_access_level_for_push": "owner",
        },
    )
    world.request(
        "POST",
        f"/projects/{pid}/packages/protection/rules",
        json={
            "package_name_pattern": "auth-*",
            "package_type": "pypi",
            "minimum_access_level_for_push": "owner",
        },
    )
    world.request(
        "POST",
        f"/projects/{pid}/registry/protection/repository/rules",
        json={
            "repository_path_pattern": "platform/auth-service/old",
            "minimum_access_level_for_push": "maintainer",
        },
    )
    world.request(
        "POST",
        f"/projects/{pid}/registry/protection/repository/rules",
        json={
            "repository_path_pattern": "platform/auth-service/*",
            "minimum_access_level_for_push": "maintainer",
        },
    )
    config = Registry(
        package_protection_rules=[
            PackageProtectionRule(
                package_name_pattern="auth-*", package_type="pypi", minimum_access_level_for_delete="owner"
            ),
            PackageProtectionRule(package_name_pattern="auth-*", package_type="npm"),
        ],
        container_protection_rules=[
            ContainerProtectionRule(
                repository_path_pattern="platform/auth-service/*",
                minimum_access_level_for_push=None,
                minimum_access_level_for_delete="owner",
            ),
            ContainerProtectionRule(repository_path_pattern="platform/auth-service/releases"),
        ],
    )
    result = converge(world, [spec(AUTH, registry=config)])
    assert sorted(applied(result)) == [
        ("create", 'container protection rule "platform/auth-service/releases"'),
        ("create", 'package protection rule "auth-*" (npm)'),
        ("delete", 'container protection rule "platform/auth-service/old"'),
        ("delete", 'package protection rule "old-*" (npm)'),
        ("update", 'container protection rule "platform/auth-service/*"'),
        ("update", 'package protection rule "auth-*" (pypi)'),
    ]
    packages = {
        (r["package_name_pattern"], r["package_type"]): r
        for r in world.get(f"/projects/{pid}/packages/protection/rules")
    }
    assert set(packages) == {("auth-*", "pypi"), ("auth-*", "npm")}
    assert (
        packages["auth-*", "pypi"]["minimum_access_level_for_push"],
        packages["auth-*", "pypi"]["minimum_access_level_for_delete"],
    ) == ("maintainer", "owner")
    containers = {
        r["repository_path_pattern"]: r
        for r in world.get(f"/projects/{pid}/registry/protection/repository/rules")
    }
    assert set(containers) == {"platform/auth-service/*", "platform/auth-service/releases"}
    container = containers["platform/auth-service/*"]
    assert (container["minimum_access_level_for_push"], container["minimum_access_level_for_delete"]) == (
        None,
        "owner",
    )
