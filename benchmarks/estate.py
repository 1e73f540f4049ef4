"""Estate benchmark: provisioner against GitLabForm on the same sandbox, 100 to 10,000 projects.

    python -m benchmarks.estate                     # 100, 1,000 and 10,000 projects at 0 and 50 ms
    python -m benchmarks.estate --sizes 100 --latencies 0 --gitlabform-max 100    # a quick run

For each size and latency: a fresh world of N projects (`POST /-/sandbox/seed`), the full
configuration (benchmarks/workload.py), then `provisioner apply` (cold) and `provisioner check`
(no-op) as subprocesses. Printed per run: requests per project and writes (the sandbox's counters),
wall time and the tool process's peak memory (its own VmHWM, see peak.py). Then a fresh world for
`provisioner=` (provisioner with only what GitLabForm can express) and another for GitLabForm (pinned,
in its own venv under benchmarks/.cache/) with the equivalent configuration: a cold apply, after
which `provisioner= plan` must find nothing left to do (else the states differ and the ratios say
so), then a second apply (the no-op as the issue counts it) and a `--noop` run.

A run that exits with an unexpected code is marked FAILED and never compared. GitLabForm is
single-threaded: at 50 ms it needs about a second per project, so by default it runs up to
--gitlabform-max projects at 0 ms and up to --gitlabform-max-slow at 50 ms; larger sizes show its
per-project figures from the largest size measured, marked "~" (extrapolated linearly).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
import yaml

from benchmarks import gitlabform_tool as gitlabform
from benchmarks import workload

ROOT = Path(__file__).resolve().parents[1]
PEAK = Path(__file__).resolve().parent / "peak.py"
LABELS = {"cold": "cold apply", "noop": "no-op", "reapply": "re-apply", "dryrun": "--noop"}


@dataclass
class Measure:
    tool: str
    phase: str  # cold | noop (provisioner's check) | reapply, dryrun (GitLabForm's two no-ops)
    size: int
    latency_ms: int
    requests: int
    writes: int
    seconds: float
    peak_mb: float
    exit_code: int
    extrapolated: bool = False

    @property
    def per_project(self) -> float:
        return self.requests / self.size

    @property
    def failed(self) -> bool:
        return self.exit_code != 0  # check: 2 is drift left after apply, a failure here too


@dataclass
class Equivalence:
    """What `provisioner= plan` still finds after GitLabForm's cold apply."""

    size: int
    latency_ms: int
    drifting: int  # projects with changes pending (or problems)
    exit_code: int
    examples: list[str] = field(default_factory=list)


class Sandbox:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "sandbox", "serve", "--port", "0", "--seed", "empty"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        self.url, self.token = ready["url"], ready["token"]
        self.session = requests.Session()
        self.session.headers["PRIVATE-TOKEN"] = self.token

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.session.request(method, f"{self.url}/-/sandbox/{path}", json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    def world(self, size: int, latency_ms: int) -> None:
        self.admin("POST", "reset", {"seed": "empty"})
        self.admin("POST", "seed", {"projects": size, "group": workload.GROUP})
        for method, path, body in workload.SETUP:
            self.session.request(method, f"{self.url}/api/v4{path}", json=body, timeout=60).raise_for_status()
        self.admin("POST", "faults", {"latency_ms": latency_ms, "seed": 1})
        self.admin("POST", "requests/reset")

    def counted(self) -> tuple[int, int]:
        counters = self.admin("GET", "requests")
        self.admin("POST", "requests/reset")
        return int(counters["total"]), int(counters["writes"])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def timed(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[int, float, float]:
    """Run the Python program `command` ([interpreter, program args...]); its exit code, wall seconds
    and peak memory in MB (its own VmHWM, see peak.py)."""
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        started = time.perf_counter()
        with log.open("ab") as sink:
            code = subprocess.call(
                [command[0], str(PEAK), peak.name, *command[1:]], env=env, cwd=cwd, stdout=sink, stderr=sink
            )
        seconds = time.perf_counter() - started
        text = Path(peak.name).read_text(encoding="utf-8").strip()
    return code, seconds, int(text) / 1024 if text else float("nan")


def provisioner_env(sandbox: Sandbox, work: Path, concurrency: int) -> dict[str, str]:
    return {
        **os.environ,
        **workload.SECRET_ENV,
        "PYTHONPATH": str(ROOT),
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_ALLOW_INSECURE_HTTP": "true",
        "PROVISIONER_CONCURRENCY": str(concurrency),
        "PROVISIONER_LOG_FILE": str(work / "provisioner.log"),
    }


def run_provisioner(
    sandbox: Sandbox, work: Path, size: int, latency: int, concurrency: int, *, full: bool = True
) -> list[Measure]:
    inventory = workload.write_inventory(work, size, full=full)
    tool = "provisioner" if full else "provisioner="
    env = provisioner_env(sandbox, work, concurrency)
    measures = []
    for phase, command in (("cold", ["apply", "--yes"]), ("noop", ["check"])):
        argv = [sys.executable, "-m", "provisioner", *command, "-i", str(inventory), "--format", "json"]
        code, seconds, peak = timed(argv, env, ROOT, work / f"{tool}-{phase}.log")
        total, writes = sandbox.counted()
        measures.append(Measure(tool, phase, size, latency, total, writes, seconds, peak, code))
    return measures


def equivalence(sandbox: Sandbox, work: Path, size: int, latency: int, concurrency: int) -> Equivalence:
    """Plan the restricted inventory against the world GitLabForm left: nothing may be left to do."""
    inventory = workload.write_inventory(work, size, full=False)
    argv = [sys.executable, "-m", "provisioner", "plan", "-i", str(inventory), "--format", "json"]
    done = subprocess.run(
        argv, env=provisioner_env(sandbox, work, concurrency), cwd=ROOT, capture_output=True
    )
    sandbox.counted()  # the check's own requests are nobody's figures
    try:
        projects = json.loads(done.stdout)["projects"]
    except (ValueError, KeyError):
        return Equivalence(size, latency, size, done.returncode, ["provisioner plan gave no JSON report"])
    left = [p for p in projects if p["changes"] or p["problems"]]
    seen = Counter(
        f"{c['facet']}: {c['target']} {c.get('before')} -> {c.get('after')}"
        for p in left
        for c in p["changes"]
    )
    seen.update(f"{q['facet']}: {q['message']}" for p in left for q in p["problems"])
    return Equivalence(
        size, latency, len(left), done.returncode, [f"{n}x {what}" for what, n in seen.most_common(3)]
    )


def run_gitlabform(
    tool: gitlabform.GitLabForm, sandbox: Sandbox, work: Path, size: int, latency: int, concurrency: int
) -> tuple[list[Measure], Equivalence]:
    config = work / "gitlabform.yml"
    config.write_text(yaml.safe_dump(workload.gitlabform_config(), sort_keys=False), encoding="utf-8")
    env = {**os.environ, "GITLAB_URL": sandbox.url, "GITLAB_TOKEN": sandbox.token}
    measures = []
    state = None
    for phase in ("cold", "reapply", "dryrun"):
        command = tool.command(config, noop=phase == "dryrun")
        code, seconds, peak = timed(command, env, work, work / f"gitlabform-{phase}.log")
        total, writes = sandbox.counted()
        measures.append(Measure("gitlabform", phase, size, latency, total, writes, seconds, peak, code))
        if phase == "cold":
            state = equivalence(sandbox, work, size, latency, concurrency)
    assert state is not None
    return measures, state


def extrapolate(measure: Measure, size: int) -> Measure:
    scale = size / measure.size
    return replace(
        measure,
        size=size,
        requests=round(measure.requests * scale),
        writes=round(measure.writes * scale),
        seconds=measure.seconds * scale,
        extrapolated=True,
    )


def table(measures: list[Measure]) -> str:
    lines = [
        f"{'projects':>8} {'latency':>7} {'tool':<12} {'run':<10} {'req/proj':>8} {'writes':>8} "
        f"{'wall s':>9} {'peak MB':>8} {'exit':>4}"
    ]
    for m in measures:
        mark = "~" if m.extrapolated else " "
        lines.append(
            f"{m.size:>8} {m.latency_ms:>5}ms {m.tool:<12} {LABELS[m.phase]:<10} "
            f"{mark}{m.per_project:>7.2f} {mark}{m.writes:>7} {mark}{m.seconds:>8.1f} {m.peak_mb:>8.0f} "
            f"{m.exit_code:>4}{'  FAILED' if m.failed else ''}"
        )
    return "\n".join(lines)


# (GitLabForm's phase, provisioner='s phase, label): the no-op is compared both ways, since the issue
# counts GitLabForm's second apply while its --noop mode is the closer match to `provisioner check`.
PAIRS = (
    ("cold", "cold", "cold apply"),
    ("reapply", "noop", "no-op: GitLabForm re-apply vs provisioner check"),
    ("dryrun", "noop", "no-op: GitLabForm --noop vs provisioner check"),
)


def ratios(measures: list[Measure], states: list[Equivalence]) -> str:
    lines = [
        "",
        "GitLabForm / provisioner= on the same work (higher is better for provisioner; ~ extrapolated):",
    ]
    ours = {(m.size, m.latency_ms, m.phase): m for m in measures if m.tool == "provisioner="}
    theirs = {(m.size, m.latency_ms, m.phase): m for m in measures if m.tool == "gitlabform"}
    measured = sorted({(s.size, s.latency_ms): s for s in states}.items())
    for size, latency in sorted({(m.size, m.latency_ms) for m in theirs.values()}):
        # an extrapolated size inherits the equivalence found at the largest size actually run
        state = next((s for (n, lat), s in reversed(measured) if lat == latency and n <= size), None)
        for their_phase, our_phase, label in PAIRS:
            other, mine = theirs.get((size, latency, their_phase)), ours.get((size, latency, our_phase))
            if other is None or mine is None:
                continue
            head = f"{size:>8} {latency:>5}ms {label:<48}"
            failed = [f"{m.tool} {LABELS[m.phase]} exited {m.exit_code}" for m in (other, mine) if m.failed]
            if failed:
                lines.append(f"{head} not compared: {'; '.join(failed)}")
                continue
            mark = "~" if other.extrapolated else ""
            flag = ""
            if state is not None and (state.drifting or state.exit_code != 0):
                flag = f"   ! states differ: {state.drifting}/{state.size} projects drift after GitLabForm"
            lines.append(
                f"{head} requests {mark}{other.requests / max(1, mine.requests):6.1f}x   "
                f"wall time {mark}{other.seconds / max(1e-9, mine.seconds):6.1f}x   "
                f"writes {other.writes} vs {mine.writes}{flag}"
            )
    return "\n".join(lines)


def describe(state: Equivalence) -> str:
    if state.drifting == 0 and state.exit_code == 0:
        return f"equivalence: after GitLabForm's cold apply, provisioner= plan finds all {state.size} projects done"
    lines = [
        f"equivalence: after GitLabForm's cold apply, provisioner= plan (exit {state.exit_code}) finds "
        f"{state.drifting}/{state.size} projects drifting; the states differ:"
    ]
    return "\n".join([*lines, *(f"  {e}" for e in state.examples)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,10000", help="project counts, comma-separated")
    parser.add_argument("--latencies", default="0,50", help="injected latency in ms, comma-separated")
    parser.add_argument("--concurrency", type=int, default=16, help="provisioner's --concurrency")
    parser.add_argument(
        "--gitlabform-max", type=int, default=1000, help="largest size GitLabForm runs at 0 ms"
    )
    parser.add_argument("--gitlabform-max-slow", type=int, default=100, help="largest size it runs at >0 ms")
    parser.add_argument("--gitlabform-version", default=gitlabform.VERSION, help="GitLabForm release to pin")
    parser.add_argument("--no-gitlabform", action="store_true", help="measure provisioner only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "estate.json")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    latencies = [int(s) for s in args.latencies.split(",")]

    tool: gitlabform.GitLabForm | None = None
    unavailable = "not asked for (--no-gitlabform)" if args.no_gitlabform else None
    if not args.no_gitlabform:
        try:
            tool = gitlabform.install(args.gitlabform_version)
            print(f"GitLabForm {tool.version} ({tool.python})", flush=True)
        except gitlabform.Unavailable as exc:
            unavailable = str(exc)
            print(f"GitLabForm unavailable, measuring provisioner only: {unavailable}", flush=True)

    measures: list[Measure] = []
    states: list[Equivalence] = []
    sandbox = Sandbox()
    try:
        for latency in latencies:
            largest: dict[str, Measure] = {}
            for size in sizes:
                with tempfile.TemporaryDirectory(prefix=f"estate-{size}-") as tmp:
                    work = Path(tmp)
                    sandbox.world(size, latency)
                    measures += run_provisioner(sandbox, work, size, latency, args.concurrency)
                    if tool is not None:
                        sandbox.world(size, latency)
                        measures += run_provisioner(
                            sandbox, work, size, latency, args.concurrency, full=False
                        )
                        limit = args.gitlabform_max if latency == 0 else args.gitlabform_max_slow
                        if size <= limit:
                            sandbox.world(size, latency)
                            theirs, state = run_gitlabform(
                                tool, sandbox, work, size, latency, args.concurrency
                            )
                            measures += theirs
                            states.append(state)
                            largest = {m.phase: m for m in theirs}
                            print(describe(state), flush=True)
                        else:
                            measures += [extrapolate(m, size) for m in largest.values()]
                print(table([m for m in measures if m.size == size and m.latency_ms == latency]), flush=True)
    finally:
        sandbox.close()
    print()
    print(table(measures))
    if tool is not None:
        print(ratios(measures, states))
    else:
        print(f"\nno GitLabForm figures: {unavailable}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "gitlabform": {"version": tool.version if tool else None, "unavailable": unavailable},
        "measures": [asdict(m) | {"failed": m.failed} for m in measures],
        "equivalence": [asdict(s) for s in states],
    }
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    # GitLabForm's failures and a differing state are findings, printed above; provisioner's are not
    return 1 if any(m.failed for m in measures if m.tool != "gitlabform") else 0


if __name__ == "__main__":
    sys.exit(main())
