"""Run a Python program and write its peak memory (VmHWM, in kB) to a file when it exits.

    python benchmarks/peak.py OUT -m provisioner check ...
    python benchmarks/peak.py OUT path/to/script args...

The benchmark's own `wait4` figure would not do: a forked child starts with its parent's high-water
mark, so a benchmark process that once held a large inventory would floor every later figure.
The peak of the program's own address space is read from /proc/self/status at exit instead.
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def _report(out: Path) -> None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out.write_text(line.split()[1], encoding="utf-8")


def main() -> None:
    out, rest = Path(sys.argv[1]), sys.argv[2:]
    atexit.register(_report, out)
    # The program sees the sys.path it would have been started with, not this file's folder
    # (benchmarks/ holds modules whose names a program may import for its own).
    if rest[0] == "-m":
        sys.path[0] = ""
        sys.argv = [rest[1], *rest[2:]]
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = str(Path(rest[0]).resolve().parent)
        sys.argv = rest
        runpy.run_path(rest[0], run_name="__main__")


if __name__ == "__main__":
    main()
