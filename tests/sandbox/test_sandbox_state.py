"""The world's persistence (--state) and the seeds.

All of this is the sandbox's own contract, not GitLab's: REFERENCE has no section for it (the CLI's
options are in README "The sandbox", the demo world in seed.py's docstring)."""

from __future__ import annotations

import json

from provisioner.sandbox.repo import blob_id
from provisioner.sandbox.seed import demo, empty, seed_projects
from provisioner.sandbox.state import State


def test_demo_world_round_trips_through_json(tmp_path):
    """Sandbox contract, not GitLab: --state FILE persists the whole world, members, repositories and
    blobs included."""
    world = demo("glpat-admin-for-tests")
    path = tmp_path / "state.json"
    world.save(path)
    loaded = State.load(path)
    assert json.dumps(loaded.to_json(), sort_keys=True) == json.dumps(world.to_json(), sort_keys=True)
    assert loaded.paths == world.paths and loaded.tokens_by_secret == world.tokens_by_secret
    platform = loaded.namespaces[loaded.namespace_paths["platform"]]
    assert next(iter(platform.members.values())).access_level == 30
    billing = loaded.projects[loaded.paths["platform/billing"]]
    readme = loaded.blobs[billing.repo.commits[billing.repo.branches["main"]].tree["README.md"]]
    assert readme == b"# billing\n" and blob_id(readme) in loaded.blobs


def test_demo_ids_are_stable():
    """Sandbox contract, not GitLab: the demo world has the same ids (and commits) every time."""
    first, second = demo("a"), demo("a")
    assert {p.id: first.project_full_path(p) for p in first.projects.values()} == {
        p.id: second.project_full_path(p) for p in second.projects.values()
    }
    assert [p.repo.branches for p in first.projects.values()] == [
        p.repo.branches for p in second.projects.values()
    ]
    assert len(first.projects) == 10 and len(first.runners) == 4


def test_empty_world_has_only_the_admin():
    """Sandbox contract, not GitLab: --seed empty: only the admin user and token."""
    world = empty("glpat-x")
    assert [u.username for u in world.users.values()] == ["root"]
    assert [t.secret for t in world.tokens.values()] == ["glpat-x"]
    assert world.projects == {}


def test_seed_projects_adds_to_an_existing_group():
    """Sandbox contract, not GitLab (the benchmarks' bulk seed): seed_projects creates projects with a
    README, numbering on from what exists."""
    world = empty("glpat-x")
    first = seed_projects(world, 3, group="bulk")
    second = seed_projects(world, 2, group="bulk")
    assert len(set(first + second)) == 5
    assert "bulk/project-00004" in world.paths
    assert all(world.projects[i].default_branch == "main" for i in first + second)
