"""GraphQL bulk reads that degrade per batch, not per run (provisioner/gitlab/graphql_batches.py):
each project asks only for its own files, a failed or timed-out query is split and asked again, and
only the projects that still fail are left to REST. Over HTTP against the sandbox, whose GraphQL
charges time per project and per file and times out as GitLab does [G:lib/gitlab/graphql/timeout.rb]."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from provisioner.gitlab import bulk
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.cache import MISSING
from provisioner.gitlab.graphql_batches import shared_files
from provisioner.gitlab.graphql_files import blob_key
from provisioner.gitlab.graphql_reads import Wanted
from provisioner.gitlab.projects import find
from provisioner.gitlab.variables import list_variables
from provisioner.sandbox.seed import seed_projects
from tests.support import Sandbox

GRAPHQL = "POST /api/graphql"
READS = frozenset({"variables", "job_token", "blobs"})


def _estate(sandbox: Sandbox, count: int) -> list[Wanted]:
    """`count` projects wanting variables, the job token scope and three files: two every project has
    in its blueprint, and one named after the project (its package's `__init__.py`)."""
    seed_projects(sandbox.state, count, group="bulk")
    return [
        Wanted(
            f"bulk/project-{i:05d}",
            reads=READS,
            blob_paths=("README.md", ".gitlab-ci.yml", f"src/project_{i:05d}/__init__.py"),
        )
        for i in range(count)
    ]


def _prefetch(sandbox: Sandbox, wanted: Sequence[Wanted]) -> tuple[GitLabApi, bulk.PrefetchStats]:
    api = GitLabApi(sandbox.url, sandbox.token, max_retries=1)
    sandbox.reset_counters()
    return api, bulk.prefetch_details(api, wanted)


def _read_in_bulk(api: GitLabApi, wanted: Sequence[Wanted]) -> list[str]:
    """The projects whose variables (where asked) and every file GraphQL told."""
    found = []
    for item in wanted:
        ref = find(api, item.path)
        assert ref is not None
        keys = [*(["variables"] if "variables" in item.reads else []), *map(blob_key, item.blob_paths)]
        if all(api.cache.get(ref.id, key) is not MISSING for key in keys):
            found.append(item.path)
    return found


def _graphql_requests(sandbox: Sandbox) -> int:
    return int(sandbox.counters()["by_route"].get(GRAPHQL, 0))


def test_files_all_projects_want_are_shared_and_each_project_asks_its_own_alone():
    one = Wanted("g/a", blob_paths=("README.md", "src/a/__init__.py", ".gitignore"))
    two = Wanted("g/b", blob_paths=(".gitignore", "README.md", "src/b/__init__.py"))
    batch, own = shared_files([one, two])
    assert [w.blob_paths for w in batch] == [("README.md", ".gitignore")] * 2
    assert [(w.path, w.blob_paths) for w in own] == [
        ("g/a", ("src/a/__init__.py",)),
        ("g/b", ("src/b/__init__.py",)),
    ]


def test_no_project_is_asked_for_another_projects_files(sandbox: Sandbox):
    """With a time per file asked, a batch of 20 asking every project for all 22 paths of the batch
    runs out of GitLab's time (440 lookups); asked for their own, the queries fit (60 lookups)."""
    wanted = _estate(sandbox, 20)
    sandbox.graphql_cost(ms_per_blob=3, timeout_seconds=1)
    api, stats = _prefetch(sandbox, wanted)
    try:
        assert (stats.queries_failed, stats.projects_left) == (0, 0)
        assert _read_in_bulk(api, wanted) == [w.path for w in wanted]
        assert _graphql_requests(sandbox) == 1 + 2  # the shared reads; the own files, 16 projects a query
    finally:
        api.close()


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_failed_query_is_split_and_asked_again_and_nothing_falls_to_rest(sandbox: Sandbox, kind: str):
    """One query answered 502, or never answered (the connection dropped after a wait, as a proxy's
    timeout does): its two halves are asked again; every later query goes on as before."""
    wanted = _estate(sandbox, 40)
    sandbox.faults(timeout_seconds=0.2, script=[{"route": GRAPHQL, "kind": kind, "status": 502, "times": 1}])
    api, stats = _prefetch(sandbox, wanted)
    try:
        assert (stats.queries_failed, stats.projects_left) == (1, 0)
        assert _read_in_bulk(api, wanted) == [w.path for w in wanted]
        # Without the fault: one query for the shared reads, three for the 40 projects' own files.
        assert _graphql_requests(sandbox) == 1 + 3 + 2
    finally:
        api.close()


def test_gitlabs_own_timeout_keeps_what_was_answered_and_asks_again_for_the_rest(sandbox: Sandbox):
    """30 projects at 40 ms each in one second: GitLab answers the first 25 and `Timeout on ...` for the
    others [G:lib/gitlab/graphql/timeout.rb]; those five are asked again, and later queries are smaller."""
    wanted = [Wanted(w.path, reads=frozenset({"variables"})) for w in _estate(sandbox, 30)]
    sandbox.graphql_cost(ms_per_project=40, timeout_seconds=1)
    api, stats = _prefetch(sandbox, wanted)
    try:
        assert (stats.queries_failed, stats.projects_left) == (1, 0)
        assert stats.graphql_projects == 30  # nobody read twice
        assert _graphql_requests(sandbox) == 2
        assert all(api.cache.has_facts(find(api, w.path).id) for w in wanted)  # type: ignore[union-attr]
    finally:
        api.close()


def test_graphql_that_keeps_failing_is_given_up_after_three_failures(sandbox: Sandbox):
    """Every query answered 503: after three failures (the batch, then its halves) GraphQL is left
    alone for the step, and the projects are read over REST by their facets as usual."""
    wanted = _estate(sandbox, 40)
    sandbox.faults(script=[{"route": GRAPHQL, "kind": "error", "status": 503, "times": 100}])
    api, stats = _prefetch(sandbox, wanted)
    try:
        assert _graphql_requests(sandbox) == 3
        assert stats.graphql_projects == 0 and _read_in_bulk(api, wanted) == []
    finally:
        api.close()


def test_a_project_whose_files_outlast_the_timeout_alone_is_left_to_rest_and_only_it(sandbox: Sandbox):
    """100 ms per file, one second per query: the project asking for 12 files of its own cannot be
    read in time even alone; the split goes down to it, and the five others are read in bulk."""
    seed_projects(sandbox.state, 6, group="bulk")
    extra = tuple(f"docs/page-{n}.md" for n in range(11))
    wanted = [
        Wanted(
            f"bulk/project-{i:05d}",
            reads=frozenset({"blobs"}),
            blob_paths=("README.md", f"src/project_{i:05d}/__init__.py", *(extra if i == 0 else ())),
        )
        for i in range(6)
    ]
    sandbox.graphql_cost(ms_per_blob=100, timeout_seconds=1)
    api, stats = _prefetch(sandbox, wanted)
    try:
        assert stats.projects_left == 1
        assert _read_in_bulk(api, wanted) == [w.path for w in wanted[1:]]
    finally:
        api.close()


@pytest.mark.parametrize(("version", "edition"), [("17.0", "ce"), ("17.4", "ee"), ("18.6", "ee")])
def test_bulk_reads_ask_only_for_fields_the_server_has(gitlab_at, version: str, edition: str):
    """On 17.0 `CiProjectVariable.hidden` (17.4) and `PackagesProtectionRule.minimumAccessLevelForDelete`
    (17.10) do not exist: asking for them failed every query, so nothing was read in bulk. Each read is
    now what the server has, and tells what REST tells."""
    sandbox = gitlab_at(version, edition=edition)
    paths = ["data/reports", "data/warehouse", "platform/billing"]
    reads = frozenset({"variables", "package_rules", "container_rules", "job_token"})
    wanted = [Wanted(path, reads=reads) for path in paths]
    api, stats = _prefetch(sandbox, wanted)
    try:
        assert (stats.graphql_projects, stats.queries_failed) == (3, 0)
        for path in paths:
            ref = find(api, path)
            assert ref is not None and api.cache.get(ref.id, "package_protection_rules") is not MISSING
            from_bulk = list_variables(api, f"/projects/{ref.id}", cache_id=ref.id)
            api.cache.forget_facts(ref.id)
            assert from_bulk == list_variables(api, f"/projects/{ref.id}")
    finally:
        api.close()
