"""Memory of whole runs: the loaded inventory, then the peak of each command, at a given size.

    python -m benchmarks.memory --sizes 10000 --runs load,plan        # load and a cold plan (~10 min)
    python -m benchmarks.memory --sizes 1000,3000                     # every run (plan, apply, check, plan)
    python -m benchmarks.memory --sizes 100 --runs load,plan,apply,check,noop-plan   # a quick run

For each size, the full configuration of benchmarks/workload.py (as `benchmarks.estate` runs it):
- `load`: a process that only loads the inventory, as the commands do. Printed: its resident memory
  before loading (the imports), after loading (the inventory is held, the temporaries freed), and
  its peak (VmHWM). "held" is after minus before: what the loaded inventory costs.
- then, on a fresh sandbox world of that size, each command as a subprocess, JSON output to a file:
  `plan` (cold: every change pending, the largest plan), `apply --yes` (cold), `check` (no-op) and
  `plan` again (no-op, `noop-plan`). Printed: exit code, wall time and the command's own peak memory
  (VmHWM, see peak.py). `plan` and `noop-plan` also save the plan (`--out`), as a reviewer's CI does.

A run's exit code is checked (plan 0, apply 0, check 0: a drifting check after apply is a failure).
Results go to benchmarks/results/memory.json as well.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import workload
from benchmarks.estate import PEAK, ROOT, Sandbox, provisioner_env, timed

RUNS = ("load", "plan", "apply", "check", "noop-plan")
COMMANDS = {
    "plan": ["plan"],
    "apply": ["apply", "--yes"],
    "check": ["check"],
    "noop-plan": ["plan"],
}


@dataclass
class Figure:
    size: int
    run: str
    peak_mb: float
    seconds: float = 0.0
    exit_code: int = 0
    before_mb: float | None = None  # load only: resident memory before and after loading
    after_mb: float | None = None

    @property
    def held_mb(self) -> float | None:
        return None if self.after_mb is None or self.before_mb is None else self.after_mb - self.before_mb


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_only(inventory: Path) -> None:
    """The child of a `load` figure: load as the commands do, print resident memory before and after."""
    from provisioner.facets import inventory_sections
    from provisioner.inventory import load_inventory

    sections = inventory_sections()
    gc.collect()
    before = _resident_mb()
    loaded = load_inventory(inventory, sections=sections)
    after = _resident_mb()
    print(json.dumps({"before": before, "after": after, "projects": len(loaded.projects)}))


def measure_load(work: Path, size: int) -> Figure:
    inventory = workload.write_inventory(work, size)
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        argv = [
            sys.executable,
            str(PEAK),
            peak.name,
            "-m",
            "benchmarks.memory",
            "--load-only",
            str(inventory),
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT), **workload.SECRET_ENV}
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        peak_kb = int(Path(peak.name).read_text(encoding="utf-8"))
    child = json.loads(done.stdout.splitlines()[-1])
    return Figure(size, "load", peak_kb / 1024, before_mb=child["before"], after_mb=child["after"])


def measure_commands(
    sandbox: Sandbox, work: Path, size: int, runs: list[str], concurrency: int
) -> list[Figure]:
    inventory = workload.write_inventory(work, size)
    env = provisioner_env(sandbox, work, concurrency)
    figures = []
    for run in runs:
        command = [*COMMANDS[run], "-i", str(inventory), "--format", "json"]
        if run in ("plan", "noop-plan"):
            command += ["--out", str(work / f"{run}.plan.json")]
        argv = [sys.executable, "-m", "provisioner", *command]
        code, seconds, peak = timed(argv, env, ROOT, work / f"{run}.log")  # the report goes to the log
        sandbox.counted()
        figures.append(Figure(size, run, peak, seconds, code))
        print(row(figures[-1]), flush=True)
    return figures


def row(f: Figure) -> str:
    if f.run == "load":
        return (
            f"{f.size:>7} {'load':<10} peak {f.peak_mb:7.0f} MB   before {f.before_mb:5.0f} MB   "
            f"after {f.after_mb:5.0f} MB   held {f.held_mb:5.0f} MB"
        )
    failed = "" if f.exit_code == 0 else f"   FAILED (exit {f.exit_code})"
    return f"{f.size:>7} {f.run:<10} peak {f.peak_mb:7.0f} MB   {f.seconds:8.1f} s{failed}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000", help="project counts, comma-separated")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"some of {', '.join(RUNS)}, in this order")
    parser.add_argument("--concurrency", type=int, default=16, help="provisioner's --concurrency")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "memory.json")
    parser.add_argument("--load-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_only is not None:
        load_only(args.load_only)
        return 0
    runs = [run for run in RUNS if run in args.runs.split(",")]
    figures: list[Figure] = []
    sandbox = Sandbox() if set(runs) - {"load"} else None
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            with tempfile.TemporaryDirectory(prefix=f"memory-{size}-") as tmp:
                work = Path(tmp)
                if "load" in runs:
                    figures.append(measure_load(work, size))
                    print(row(figures[-1]), flush=True)
                commands = [run for run in runs if run != "load"]
                if sandbox is not None and commands:
                    sandbox.world(size, 0)
                    figures += measure_commands(sandbox, work, size, commands, args.concurrency)
    finally:
        if sandbox is not None:
            sandbox.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(f) | {"held_mb": f.held_mb} for f in figures], indent=1))
    return 1 if any(f.exit_code for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
