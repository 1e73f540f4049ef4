"""glibc's malloc arenas, capped before the workers start (provisioner/allocator.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from provisioner.allocator import ARENAS

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

THREADS = """
import ctypes, threading
{cap}
ready = threading.Barrier(9)
def hold():
    block = bytearray(100_000)  # below the mmap threshold: from the thread's arena
    ready.wait()
    ready.wait()
threads = [threading.Thread(target=hold) for _ in range(8)]
for t in threads:
    t.start()
ready.wait()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
ready.wait()
"""


def arenas(cap: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", THREADS.format(cap=cap)], env=env, capture_output=True, text=True, check=True
    )
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


def test_the_workers_share_two_arenas_where_each_thread_would_get_its_own() -> None:
    assert arenas("") > 2  # the allocator as it comes: the test can tell
    assert arenas("from provisioner import allocator; allocator.fewer_arenas()") <= ARENAS


def test_an_arena_count_the_environment_sets_is_left_to_glibc() -> None:
    env = {**os.environ, "MALLOC_ARENA_MAX": "8"}
    code = "from provisioner import allocator; allocator.fewer_arenas()\n" + THREADS.format(cap="")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert sum(line.startswith("Arena ") for line in done.stderr.splitlines()) > 2
