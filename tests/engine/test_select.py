from __future__ import annotations

import pytest

from provisioner.engine.select import in_shard, parse_shard, select
from provisioner.inventory.schema import Project
from provisioner.inventory.spec import ProjectSpec


def specs(n: int) -> list[ProjectSpec]:
    return [ProjectSpec(path=f"grp/p{i:04d}", config=Project()) for i in range(n)]


def test_shards_partition_the_inventory():
    items = specs(500)
    shards = [select(items, shard=(k, 4)) for k in range(1, 5)]
    paths = [s.path for shard in shards for s in shard]
    assert sorted(paths) == sorted(s.path for s in items)  # every project exactly once
    assert min(len(s) for s in shards) > 80  # and roughly balanced


def test_shard_membership_is_stable_when_projects_are_added():
    before = {s.path for s in select(specs(100), shard=(2, 3))}
    after = {s.path for s in select(specs(200), shard=(2, 3))}
    assert before <= after


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "3", "1/0"])
def test_bad_shard_is_rejected(text):
    with pytest.raises(ValueError):
        parse_shard(text)


def test_project_patterns_are_globs():
    chosen = select(specs(20), ["grp/p000*"])
    assert [s.path for s in chosen] == [f"grp/p000{i}" for i in range(10)]
    assert in_shard("a", 1, 1)
