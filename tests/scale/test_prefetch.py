"""Bulk prefetch: request counts from the sandbox's counters, and bulk reads that tell what REST tells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from benchmarks import workload
from provisioner.blueprint import LOCK_PATH
from provisioner.engine import prefetch as engine_prefetch
from provisioner.engine import run as run_module
from provisioner.engine.run import run
from provisioner.facets import FACETS
from provisioner.facets.base import ApplyContext, PlanOptions
from provisioner.gitlab import bulk, projects
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_files import blob_key
from provisioner.gitlab.transport import encode
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import TargetKind
from provisioner.sandbox import SandboxServer
from provisioner.sandbox.routes import graphql as graphql_route
from provisioner.sandbox.seed import seed_projects
from tests.scale.conftest import counters, reset_counters, workload_specs, workload_world

pytestmark = pytest.mark.usefixtures("workload_secrets")


def _api(server: SandboxServer) -> GitLabApi:
    return GitLabApi(server.url, server.token, pool=24)


def _run(server: SandboxServer, specs: list[ProjectSpec], mode: str, tmp_path: Path, **kwargs: Any) -> Any:
    api = _api(server)
    ctx = ApplyContext(inventory_dir=str(tmp_path))
    try:
        return run(api, specs, mode=mode, ctx=ctx, concurrency=8, **kwargs)
    finally:
        api.close()


def test_a_no_op_check_sends_about_two_requests_per_project(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Full configuration, 30 projects: the server's version + group listing + GraphQL (file hashes
    included) + deploy tokens and protected tags over REST (GraphQL has neither) + run-long lookups;
    and not a single write. And one POST /runners/verify per runner the tool created, whose token it
    keeps (issue 19: a stored token that no longer verifies is repaired, not reported in sync; GitLab has
    no way to verify in bulk).
    Approval settings and rules, the push rule and the hooks are REST reads of their own (GitLab's
    GraphQL has no complete form of them: see the README), one each per project."""
    count = 30
    seed_projects(sandbox.state, count, group=workload.GROUP)
    specs = workload_specs(tmp_path, workload.inventory(count, onboarding=False))
    applied = _run(sandbox, specs, "apply", tmp_path)
    assert not applied.failed, [p.problems for p in applied.projects if p.problems]
    reset_counters(sandbox)
    checked = _run(sandbox, specs, "check", tmp_path)
    seen = counters(sandbox)
    assert not checked.failed and not checked.drift
    assert seen["writes"] == 0
    # GET approvals, approval_rules, push_rule, hooks; and protected_environments: the blueprint's
    # publish environments are protected unasked, and GraphQL shows them only per environment (README)
    rest_only = 5
    assert seen["by_route"]["POST /api/v4/runners/verify"] == count  # the workload creates one each
    assert seen["by_route"]["GET /api/v4/version"] == 1  # what the server is, asked once per run
    assert seen["total"] - count <= (2 + rest_only) * count + 6, json.dumps(seen["by_route"])
    for route in ("approvals", "approval_rules", "push_rule", "hooks", "protected_environments"):
        assert seen["by_route"][f"GET /api/v4/projects/:id/{route}"] == count
    # Every read and the files all projects share in one query; each project's own file (its package's
    # `__init__.py`) in queries of their own, 16 projects each: nobody is asked for another's files.
    assert seen["by_route"]["POST /api/graphql"] <= 3
    assert "HEAD /api/v4/projects/:id/repository/files/:file_path" not in seen["by_route"]
    reset_counters(sandbox)
    _run(sandbox, specs, "check", tmp_path, prefetch=False)
    assert counters(sandbox)["total"] >= 10 * count  # what the same check costs one project at a time


def test_the_onboarding_sections_cost_what_graphql_cannot_read_in_bulk(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Members and pipeline schedules (with their variables) come with the GraphQL queries, shares with
    the entities: nothing per project. Deploy keys (no GraphQL field) cost their REST read."""
    count = 30
    workload_world(sandbox, count)
    full = workload_specs(tmp_path, workload.inventory(count))
    applied = _run(sandbox, full, "apply", tmp_path)
    assert not applied.failed, [p.problems for p in applied.projects if p.problems]
    reset_counters(sandbox)
    checked = _run(sandbox, full, "check", tmp_path)
    seen = counters(sandbox)
    assert not checked.failed and not checked.drift and seen["writes"] == 0
    routes = seen["by_route"]
    assert routes["GET /api/v4/projects/:id/deploy_keys"] == count
    assert not [r for r in routes if "pipeline_schedules" in r], routes  # gitlab/graphql_schedules.py
    assert "GET /api/v4/projects/:id/members" not in routes and not [r for r in routes if "share" in r]
    for route in ("approvals", "approval_rules", "push_rule", "hooks"):  # no GraphQL either (README)
        assert routes[f"GET /api/v4/projects/:id/{route}"] == count
    assert routes["POST /api/v4/runners/verify"] == count  # the stored runner token, verified
    # the two of the first test, deploy keys, the four above, the blueprint's protected environments
    # and the runner token's verification
    assert routes["GET /api/v4/projects/:id/protected_environments"] == count
    assert seen["total"] <= (2 + 1 + 4 + 1 + 1) * count + 15, routes


def test_details_are_read_a_window_ahead_and_a_done_project_leaves_nothing_in_the_cache(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat with the estate's size: the cache holds the details of at most two windows
    (the one being worked on, the next one being read) and nothing of a finished project."""
    count, window = 12, 4
    seed_projects(sandbox.state, count, group=workload.GROUP)
    specs = workload_specs(tmp_path, workload.inventory(count, onboarding=False))
    assert not _run(sandbox, specs, "apply", tmp_path).failed
    monkeypatch.setattr(run_module, "WINDOW", window)
    api = _api(sandbox)
    held: list[int] = []
    reset_counters(sandbox)
    try:
        checked = run(
            api,
            specs,
            mode="check",
            ctx=ApplyContext(inventory_dir=str(tmp_path)),
            concurrency=2,
            on_result=lambda result: held.append(api.cache.held()),
        )
        assert not checked.failed and not checked.drift
        assert max(held) <= 2 * window
        assert api.cache.held() == 0
        assert all(api.cache.project(spec.path) is None for spec in specs)
    finally:
        api.close()
    seen = counters(sandbox)
    assert seen["writes"] == 0
    # Each window's details in their own queries (one refusal for complexity learnt per window), and
    # still one listing for all: no project read one by one.
    assert seen["by_route"]["POST /api/graphql"] <= 3 * (count // window)
    assert "GET /api/v4/projects/:id" not in seen["by_route"], seen["by_route"]


def _demo_specs(tmp_path: Path) -> list[ProjectSpec]:
    """Every demo project, every bulk-readable area configured (drifting or not: it does not matter);
    members too, of users the demo world has."""
    paths = [
        "platform/billing",
        "platform/payments",
        "platform/auth-service",
        "platform/libs/common-utils",
        "platform/libs/http-client",
        "data/reports",
        "data/warehouse",
        "data/ml-pipeline",
    ]
    document = workload.inventory(0, onboarding=False)
    document["defaults"]["members"] = {"users": {"rita": "reporter"}}
    document["defaults"]["runners"]["assign"] = [{"tags": ["docker"]}]
    document["defaults"]["registry"]["container_protection_rules"] = []
    document["defaults"]["registry"]["job_token_scope"] = {"groups": ["data"], "projects": ["data/reports"]}
    document["projects"] = {path: {} for path in paths}
    return workload_specs(tmp_path, document)


def test_bulk_reads_observe_what_rest_observes(sandbox: SandboxServer, tmp_path: Path) -> None:
    specs = _demo_specs(tmp_path)
    for path, level in (("platform/billing", 20), ("data/reports", 40)):  # direct members, to be read
        answer = requests.post(
            f"{sandbox.url}/api/v4/projects/{encode(path)}/members",
            json={"user_id": 3, "access_level": level, "expires_at": "2099-01-01"},
            headers={"PRIVATE-TOKEN": sandbox.token},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    api = _api(sandbox)
    try:
        bulk.prefetch(api, [engine_prefetch.wanted(s, FACETS) for s in specs])
        for spec in specs:
            ref = projects.find(api, spec.path)
            assert ref is not None and api.cache.has_facts(ref.id)
            for facet in FACETS:
                if facet.kind is not TargetKind.PROJECT or not facet.wants(spec):
                    continue
                from_bulk = facet.observe(api, ref, spec)
                api.cache.forget_facts(ref.id)
                from_rest = facet.observe(api, ref, spec)
                changes = [facet.diff(spec, seen, PlanOptions()) for seen in (from_bulk, from_rest)]
                assert changes[0] == changes[1], (spec.path, facet.name)
                if facet.name == "files":
                    # Hashes read in bulk carry no last commit id: apply looks it up before it writes.
                    assert from_bulk.hashes == from_rest.hashes, spec.path
                    assert (from_bulk.lock, from_bulk.texts) == (from_rest.lock, from_rest.texts), spec.path
                elif facet.name != "protection":
                    assert from_bulk == from_rest, (spec.path, facet.name)
                # GraphQL (CE) shows no unprotect levels; read only where the inventory names none.
                bulk.prefetch(api, [engine_prefetch.wanted(spec, FACETS)])
    finally:
        api.close()


def test_drift_in_bulk_data_is_confirmed_over_rest(sandbox: SandboxServer, tmp_path: Path) -> None:
    """A bulk read may only prove compliance: what it says differs is read again over REST (for a facet
    that does not write on its bulk view: protection, whose GraphQL view lacks Premium grants)."""
    document = workload.inventory(0)
    branch = {"push_access_level": "maintainer", "merge_access_level": "maintainer"}
    document["defaults"] = {"protection": {"default_branch": branch}}  # as billing has it (seed.py)
    document["projects"] = {"platform/billing": {}}
    specs = workload_specs(tmp_path, document)
    api = _api(sandbox)
    try:
        ref = projects.find(api, "platform/billing")
        assert ref is not None
        api.cache.put(ref.id, "protected_branches", ())  # a stale bulk answer: nothing protected
        facets = [engine_prefetch.Confirmed(f, PlanOptions()) for f in FACETS]
        result = run(api, specs, mode="check", facets=facets, prefetch=False)
    finally:
        api.close()
    assert not result.drift and not result.failed, [p.planned for p in result.projects]


def test_a_query_too_complex_is_split(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = _demo_specs(tmp_path)
    wanted = [engine_prefetch.wanted(s, FACETS) for s in specs]
    api = _api(sandbox)
    try:
        whole = bulk.prefetch(api, wanted)
        expected = {s.path: _facts(api, s.path) for s in specs}
        monkeypatch.setattr(graphql_route, "MAX_COMPLEXITY_ADMIN", 120)
        api.cache = type(api.cache)()
        split = bulk.prefetch(api, wanted)
        assert {s.path: _facts(api, s.path) for s in specs} == expected
    finally:
        api.close()
    assert split.queries_split > whole.queries_split
    assert split.graphql_queries > whole.graphql_queries


def _facts(api: GitLabApi, path: str) -> dict[str, Any]:
    ref = projects.find(api, path)
    assert ref is not None
    names = ("variables", "runners", "job_token_scope", "job_token_allowlist", "protected_branches")
    return {name: api.cache.get(ref.id, name) for name in names}


def test_a_group_is_listed_only_while_it_pays(sandbox: SandboxServer) -> None:
    seed_projects(sandbox.state, 250, group="wide")
    api = _api(sandbox)
    try:
        few = bulk.prefetch(api, [bulk.Wanted("wide/project-00001"), bulk.Wanted("wide/project-00002")])
        many = bulk.prefetch(api, [bulk.Wanted(f"wide/project-{i:05d}") for i in range(0, 250, 2)])
    finally:
        api.close()
    assert few.listing_pages == 1  # page 1 says 3 pages: two more to find one project is not worth it
    assert (many.listing_pages, many.listed_projects) == (3, 125)


def test_listing_plan_picks_the_deepest_common_group() -> None:
    plan = bulk.listing_plan(["a/x/p1", "a/x/y/p2", "a/x/p3", "b/p4", "c/d/p5", "c/d/p6", "solo"])
    assert plan == {"a/x": ["a/x/p1", "a/x/y/p2", "a/x/p3"], "c/d": ["c/d/p5", "c/d/p6"]}


def test_files_are_read_in_bulk_with_their_sha256(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files facet's hashes (X-Gitlab-Content-Sha256 on a HEAD) come from GraphQL blobs instead;
    a missing file is cached as None. With too many paths for one query, fewer projects per query."""
    paths = ["pyproject.toml", ".gitlab-ci.yml", "README.md", "missing.txt"]
    utils = bulk.Wanted("platform/libs/common-utils", frozenset({"blobs"}), blob_paths=tuple(paths))
    others = [
        bulk.Wanted(
            p, frozenset({"blobs"}), blob_paths=("README.md", *(f"src/{i}/{n}.py" for n in range(12)))
        )
        for i, p in enumerate(["platform/billing", "data/reports", "data/warehouse", "data/ml-pipeline"])
    ]
    monkeypatch.setattr(graphql_route, "MAX_COMPLEXITY_ADMIN", 90)
    api = _api(sandbox)
    try:
        stats = bulk.prefetch(api, [utils, *others])
        ref = projects.find(api, utils.path)
        assert ref is not None
        cached = {p: api.cache.get(ref.id, blob_key(p)) for p in paths}
        heads = {p: _head(api, ref.id, p) for p in paths}
        billing = projects.find(api, "platform/billing")
        assert billing is not None
        assert api.cache.get(billing.id, blob_key("src/0/0.py")) is None
    finally:
        api.close()
    assert stats.queries_split >= 1
    assert cached["missing.txt"] is None and heads["missing.txt"] is None
    for path in paths[:3]:
        record, head = cached[path], heads[path]
        assert record is not None and head is not None
        assert record.content_sha256 == head["x-gitlab-content-sha256"]
        assert record.blob_id == head["x-gitlab-blob-id"]


def _head(api: GitLabApi, project_id: int, path: str) -> dict[str, str] | None:
    headers = api.head(f"/projects/{project_id}/repository/files/{encode(path)}", ref="main")
    return None if headers is None else {k.lower(): v for k, v in headers.items()}


def test_bulk_reads_keep_only_the_texts_the_files_facet_may_read(sandbox: SandboxServer) -> None:
    """A check of thousands of projects holds their files' hashes until each project's turn, not the
    files: only a managed file that differs from its rendering keeps its text (the facet merges it);
    seeds by their hashes; the lock is kept (the facet reads it once the team has edited a file)."""
    path = "platform/libs/common-utils"
    spec = ProjectSpec(path, Project(blueprint="python-package"))
    api = _api(sandbox)
    try:
        assert not run(api, [spec], mode="apply").failed
        _merge_adoption(sandbox, path)  # common-utils had a pipeline of its own: adopted through a draft
        team_ci = _file(sandbox, path, ".gitlab-ci.yml") + "\n# the team's own note\n"
        _commit(sandbox, path, ".gitlab-ci.yml", team_ci)
        # The next apply records the team's edit in the lock; from then on runs decide by hashes.
        assert not run(api, [spec], mode="apply").failed
        api.cache = type(api.cache)()
        bulk.prefetch(api, [engine_prefetch.wanted(spec, FACETS)])
        ref = projects.find(api, path)
        assert ref is not None
        records = {
            p: api.cache.get(ref.id, blob_key(p)) for p in engine_prefetch.wanted(spec, FACETS).blob_paths
        }
        heads = {p: _head(api, ref.id, p) for p in records}
        reset_counters(sandbox)
        planned = run(api, [spec], mode="plan")
    finally:
        api.close()
    kept = {p for p, record in records.items() if record is not None and record.content is not None}
    # pyproject.toml is the team's file with the tool's keys in it (managed-keys): not the rendering.
    # The lock records what the tool last wrote, which the team's edit no longer matches.
    assert kept == {".gitlab-ci.yml", "pyproject.toml", LOCK_PATH}
    assert records[".gitlab-ci.yml"].content == team_ci
    for p, record in records.items():
        head = heads[p]
        assert (record is None) == (head is None), p
        assert record is None or head is None or record.content_sha256 == head["x-gitlab-content-sha256"], p
    # The edit is the team's and kept; nothing was downloaded file by file to decide so.
    assert not planned.failed and planned.projects[0].pending == ()
    assert not [r for r in counters(sandbox)["by_route"] if "/repository/files/" in r]


def _file(server: SandboxServer, project: str, path: str) -> str:
    response = requests.get(
        f"{server.url}/api/v4/projects/{encode(project)}/repository/files/{encode(path)}/raw",
        params={"ref": "main"},
        headers={"PRIVATE-TOKEN": server.token},
        timeout=10,
    )
    response.raise_for_status()
    return response.text


def _merge_adoption(server: SandboxServer, project: str) -> None:
    """A maintainer marks the tool's draft ready and merges it."""
    headers = {"PRIVATE-TOKEN": server.token}
    where = f"{server.url}/api/v4/projects/{encode(project)}/merge_requests"
    (mr,) = requests.get(where, params={"state": "opened"}, headers=headers, timeout=10).json()
    ready = {"title": mr["title"].removeprefix("Draft: ")}
    requests.put(f"{where}/{mr['iid']}", json=ready, headers=headers, timeout=10).raise_for_status()
    requests.put(f"{where}/{mr['iid']}/merge", headers=headers, timeout=10).raise_for_status()


def _commit(server: SandboxServer, project: str, path: str, content: str) -> None:
    body = {
        "branch": "main",
        "commit_message": "Team edit",
        "actions": [{"action": "update", "file_path": path, "content": content}],
    }
    response = requests.post(
        f"{server.url}/api/v4/projects/{encode(project)}/repository/commits",
        json=body,
        headers={"PRIVATE-TOKEN": server.token},
        timeout=10,
    )
    response.raise_for_status()
