"""What one GraphQL failure costs a no-op check of a large estate (issue 13).

    python -m benchmarks.graphql_timeout                   # 1,000 projects (about three minutes)
    python -m benchmarks.graphql_timeout --projects 200    # a quick run

A fresh in-process sandbox (GitLab 18.6 EE) with N projects and the full configuration of
benchmarks/workload.py, converged by one `apply`; then the same no-op `check`, counted by the sandbox:
- as it is (the baseline);
- with one GraphQL answer lost: the sandbox withholds it for two seconds, then drops the connection
  (what a proxy's timeout looks like to a client), on the fourth query of the run;
- with GitLab's own GraphQL timeout (the sandbox's time knobs): each project a query resolves costs
  12 ms (a runner's owner project counts too) against a one-second timeout, so the first full query
  answers about 40 of its 50 projects and `Timeout on ...` for the rest [G:lib/gitlab/graphql/
  timeout.rb]; then 30 ms, where a query answers about 16;
- with GraphQL failing every time (each query answered 503): what the tool did for the rest of a run
  after a single failure before, as every project is then read over REST.
Printed per case: requests, requests per project, extra requests per project against the baseline,
GraphQL queries, and whether the check still found nothing to do. The target: one timeout costs under
0.1 extra requests per project.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks import workload
from provisioner.engine.run import run
from provisioner.facets import inventory_sections
from provisioner.facets.base import ApplyContext
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.sandbox import SandboxOptions, SandboxServer
from provisioner.sandbox.seed import seed_projects

GRAPHQL = "POST /api/graphql"


class Lab:
    def __init__(self, server: SandboxServer, work: Path) -> None:
        self.server = server
        self.work = work
        self.session = requests.Session()
        self.session.headers["PRIVATE-TOKEN"] = server.token

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        method = "GET" if body is None else "POST"
        response = self.session.request(method, f"{self.server.url}/-/sandbox/{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def run(self, specs: list[Any], mode: str) -> tuple[Any, dict[str, Any], float]:
        self.admin("requests/reset", {})
        api = GitLabApi(self.server.url, self.server.token, pool=24)
        started = time.perf_counter()
        try:
            result = run(api, specs, mode=mode, ctx=ApplyContext(inventory_dir=str(self.work)), concurrency=8)
        finally:
            api.close()
        return result, self.admin("requests"), time.perf_counter() - started


def cases() -> list[tuple[str, Callable[[Lab], None]]]:
    def nothing(lab: Lab) -> None:
        pass

    def lost_answer(lab: Lab) -> None:
        script = [{"route": GRAPHQL, "kind": "timeout", "times": 1, "after": 3}]
        lab.admin("faults", {"timeout_seconds": 2, "script": script})

    def gitlab_timeout(ms: float) -> Callable[[Lab], None]:
        return lambda lab: lab.admin("graphql", {"ms_per_project": ms, "timeout_seconds": 1})

    def always_failing(lab: Lab) -> None:
        lab.admin("faults", {"script": [{"route": GRAPHQL, "kind": "error", "status": 503, "times": 10**6}]})

    return [
        ("no fault (baseline)", nothing),
        ("one answer lost (dropped after 2 s)", lost_answer),
        ("GitLab's timeout (12 ms a project, 1 s)", gitlab_timeout(12)),
        ("GitLab's timeout (30 ms a project, 1 s)", gitlab_timeout(30)),
        ("GraphQL failing every time", always_failing),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.update(workload.SECRET_ENV)
    with (
        tempfile.TemporaryDirectory(prefix="graphql-timeout-") as tmp,
        SandboxServer(SandboxOptions(seed="empty")) as server,
    ):
        work = Path(tmp)
        seed_projects(server.state, args.projects, group=workload.GROUP)
        specs = list(
            load_inventory(
                workload.write_inventory(work, args.projects), sections=inventory_sections()
            ).projects
        )
        lab = Lab(server, work)
        applied, _, seconds = lab.run(specs, "apply")
        failed = [p.project for p in applied.projects if p.problems]
        print(f"cold apply of {args.projects} projects: {seconds:.0f} s, {len(failed)} failed", flush=True)
        rows, baseline = [], None
        for name, arrange in cases():
            lab.admin("faults", {"script": [], "rate": 0})
            lab.admin("graphql", {"ms_per_project": 0.1, "ms_per_blob": 0.01, "timeout_seconds": 30})
            arrange(lab)
            checked, counted, seconds = lab.run(specs, "check")
            total = int(counted["total"])
            baseline = total if baseline is None else baseline
            quiet = not checked.drift and not checked.failed
            extra = (total - baseline) / args.projects
            graphql = counted["by_route"].get(GRAPHQL, 0)
            rows.append((name, total, total / args.projects, extra, graphql, seconds, quiet))
            print(f"  {name}: {total} requests, {extra:+.3f} per project, {seconds:.1f} s", flush=True)
    print(f"\nno-op check of {args.projects} projects (full workload)")
    print(
        f"{'case':<40} {'requests':>9} {'per project':>12} {'extra/project':>14} {'GraphQL':>8} {'time':>7}  nothing to do"
    )
    for name, total, per, extra, graphql, seconds, quiet in rows:
        print(f"{name:<40} {total:>9} {per:>12.3f} {extra:>+14.3f} {graphql:>8} {seconds:>6.1f}s  {quiet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
