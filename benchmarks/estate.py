"""Estate benchmark: provisioner against GitLabForm on the same sandbox, 100 to 10,000 projects.

    python -m benchmarks.estate                     # 100, 1,000 and 10,000 projects at 0 and 50 ms
    python -m benchmarks.estate --sizes 100 --latencies 0 --gitlabform-max 100    # a quick run

For each size and latency: a fresh world of N projects (`POST /-/sandbox/seed`), the full
configuration (benchmarks/workload.py), then `provisioner apply` (cold) and `provisioner check`
(no-op) as subprocesses. Printed per run: requests per project and writes (the sandbox's counters),
wall time and the tool process's peak memory (max RSS from wait4). Then the same world again for
GitLabForm (its newest release installable here, in its own venv under benchmarks/.cache/), run twice
with an equivalent configuration (the second run is its no-op), and the ratios.

GitLabForm is single-threaded: at 50 ms it needs about a second per project, so by default it runs up
to --gitlabform-max projects at 0 ms and up to 100 at 50 ms; larger sizes show its per-project
figures from the largest size measured, marked "~" (extrapolated linearly).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from benchmarks import workload

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
GITLABFORM_VENV = CACHE / "gitlabform-venv"
GITLABFORM_PYTHON = ("/root/.pyenv/versions/3.12.1/bin/python", "/root/.pyenv/versions/3.13.0/bin/python")


@dataclass
class Measure:
    tool: str
    phase: str  # cold | noop
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
        self.admin("POST", "faults", {"latency_ms": latency_ms, "seed": 1})
        self.admin("POST", "requests/reset")

    def counted(self) -> tuple[int, int]:
        counters = self.admin("GET", "requests")
        self.admin("POST", "requests/reset")
        return int(counters["total"]), int(counters["writes"])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


PEAK = Path(__file__).resolve().parent / "peak.py"


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


def run_provisioner(
    sandbox: Sandbox, work: Path, size: int, latency: int, concurrency: int, *, full: bool = True
) -> list[Measure]:
    inventory = workload.write_inventory(work, size, full=full)
    tool = "provisioner" if full else "provisioner="
    env = {
        **os.environ,
        **workload.SECRET_ENV,
        "PYTHONPATH": str(ROOT),
        "PROVISIONER_GITLAB_URL": sandbox.url,
        "PROVISIONER_TOKEN": sandbox.token,
        "PROVISIONER_ALLOW_INSECURE_HTTP": "true",
        "PROVISIONER_CONCURRENCY": str(concurrency),
        "PROVISIONER_LOG_FILE": str(work / "provisioner.log"),
    }
    measures = []
    for phase, command in (("cold", ["apply", "--yes"]), ("noop", ["check"])):
        argv = [sys.executable, "-m", "provisioner", *command, "-i", str(inventory), "--format", "json"]
        code, seconds, peak = timed(argv, env, ROOT, work / f"{tool}-{phase}.log")
        total, writes = sandbox.counted()
        measures.append(Measure(tool, phase, size, latency, total, writes, seconds, peak, code))
    return measures


def gitlabform_command() -> list[str]:
    """GitLabForm's newest release that installs here, in its own venv (it needs Python >= 3.12)."""
    executable = GITLABFORM_VENV / "bin" / "gitlabform"
    python = GITLABFORM_VENV / "bin" / "python"
    if not executable.exists():
        python = next((p for p in GITLABFORM_PYTHON if Path(p).exists()), None)
        if python is None:
            raise SystemExit("GitLabForm needs Python >= 3.12; none found at " + ", ".join(GITLABFORM_PYTHON))
        subprocess.run([python, "-m", "venv", str(GITLABFORM_VENV)], check=True)
        subprocess.run([str(GITLABFORM_VENV / "bin" / "pip"), "install", "-q", "gitlabform"], check=True)
    return [str(python), str(executable), "--skip-version-check"]


def run_gitlabform(sandbox: Sandbox, work: Path, size: int, latency: int) -> list[Measure]:
    config = work / "gitlabform.yml"
    config.write_text(yaml.safe_dump(workload.gitlabform_config(), sort_keys=False), encoding="utf-8")
    env = {**os.environ, "GITLAB_URL": sandbox.url, "GITLAB_TOKEN": sandbox.token}
    command = [*gitlabform_command(), "-c", str(config), "ALL_DEFINED"]
    measures = []
    for phase in ("cold", "noop"):
        code, seconds, peak = timed(command, env, work, work / f"gitlabform-{phase}.log")
        total, writes = sandbox.counted()
        measures.append(Measure("gitlabform", phase, size, latency, total, writes, seconds, peak, code))
    return measures


def extrapolate(measure: Measure, size: int) -> Measure:
    scale = size / measure.size
    return Measure(
        measure.tool,
        measure.phase,
        size,
        measure.latency_ms,
        round(measure.requests * scale),
        round(measure.writes * scale),
        measure.seconds * scale,
        measure.peak_mb,
        measure.exit_code,
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
            f"{m.size:>8} {m.latency_ms:>5}ms {m.tool:<12} {'cold apply' if m.phase == 'cold' else 'no-op':<10} "
            f"{mark}{m.per_project:>7.2f} {mark}{m.writes:>7} {mark}{m.seconds:>8.1f} {m.peak_mb:>8.0f} {m.exit_code:>4}"
        )
    return "\n".join(lines)


def ratios(measures: list[Measure]) -> str:
    lines = [
        "",
        "GitLabForm / provisioner= on the same work (higher is better for provisioner; ~ extrapolated):",
    ]
    ours = {(m.size, m.latency_ms, m.phase): m for m in measures if m.tool == "provisioner="}
    for theirs in (m for m in measures if m.tool == "gitlabform"):
        mine = ours.get((theirs.size, theirs.latency_ms, theirs.phase))
        if mine is None:
            continue
        mark = "~" if theirs.extrapolated else ""
        lines.append(
            f"{theirs.size:>8} {theirs.latency_ms:>5}ms {'cold apply' if theirs.phase == 'cold' else 'no-op':<10} "
            f"requests {mark}{theirs.requests / max(1, mine.requests):6.1f}x   "
            f"wall time {mark}{theirs.seconds / max(1e-9, mine.seconds):6.1f}x   "
            f"writes {theirs.writes} vs {mine.writes}"
        )
    return "\n".join(lines)


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
    parser.add_argument("--no-gitlabform", action="store_true", help="measure provisioner only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "estate.json")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    latencies = [int(s) for s in args.latencies.split(",")]
    measures: list[Measure] = []
    sandbox = Sandbox()
    try:
        for latency in latencies:
            largest: dict[str, Measure] = {}
            for size in sizes:
                with tempfile.TemporaryDirectory(prefix=f"estate-{size}-") as tmp:
                    work = Path(tmp)
                    sandbox.world(size, latency)
                    measures += run_provisioner(sandbox, work, size, latency, args.concurrency)
                    if args.no_gitlabform:
                        continue
                    sandbox.world(size, latency)
                    measures += run_provisioner(sandbox, work, size, latency, args.concurrency, full=False)
                    limit = args.gitlabform_max if latency == 0 else args.gitlabform_max_slow
                    if size <= limit:
                        sandbox.world(size, latency)
                        for m in run_gitlabform(sandbox, work, size, latency):
                            measures.append(m)
                            largest[m.phase] = m
                    else:
                        measures += [extrapolate(m, size) for m in largest.values()]
                print(table([m for m in measures if m.size == size and m.latency_ms == latency]), flush=True)
    finally:
        sandbox.close()
    print()
    print(table(measures))
    print(ratios(measures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(m) for m in measures], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
