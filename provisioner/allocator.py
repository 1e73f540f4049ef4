"""The C allocator's share of a run's memory.

glibc gives each thread that contends for the heap an arena of its own (up to eight per core), and
memory freed in one arena serves only that arena. A run's workers parse large answers (a GraphQL
page of 100 projects is megabytes of JSON) in turn on different threads, so each arena grows to the
largest answer it ever held: a no-op `check` of 1,000 projects with 16 workers peaked at 173 MB, of
which Python's own objects were 68 at their highest (tracemalloc). Two arenas: 109 to 128 MB, in the
same wall time (the workers wait on the network and take turns under the GIL anyway).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


def fewer_arenas() -> None:
    """Cap glibc's malloc arenas, unless the environment says how many (MALLOC_ARENA_MAX, read by
    glibc at start). Only on Linux with glibc; elsewhere the allocator is left as it is."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, or no arena to cap
        return
    if mallopt(_M_ARENA_MAX, ARENAS) != 1:
        log.debug("mallopt(M_ARENA_MAX) refused; the allocator keeps its arenas")
