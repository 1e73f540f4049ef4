"""Rate-limit benchmark: a no-op `check` of a converged estate against a sandbox limited to L a minute.

    python -m benchmarks.rate_limit                                  # 1,000 projects at 2,000/min (~8 min)
    python -m benchmarks.rate_limit --projects 10000 --limit 2000    # the issue's target (about an hour)
    python -m benchmarks.rate_limit --max-rate 600                   # a team keeping part of the budget

A fresh world of N projects is converged with the full workload (benchmarks/workload.py, a cold
`apply` with no limit), then the sandbox is limited to L requests a minute per token (GitLab's
fixed one-minute windows, RateLimit-* headers, 429 + Retry-After: provisioner/sandbox/faults.py) and
`provisioner check` runs as a subprocess. Printed: the requests the sandbox received, how many it
answered 429, the wall time (process start to exit, inventory loading included) and its ratio to
(requests / the pace allowed) minutes, where the pace is L, or --max-rate when lower.
Targets (issue: runs paced by the budget): ratio within 1.1, fewer than 1% of requests answered 429.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks import workload
from benchmarks.estate import ROOT, Sandbox, provisioner_env, timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1000, help="estate size (default 1,000)")
    parser.add_argument("--limit", type=int, default=2000, help="the sandbox's requests per minute")
    parser.add_argument("--max-rate", type=int, default=None, help="provisioner's --max-rate")
    parser.add_argument("--concurrency", type=int, default=8, help="provisioner's workers")
    parser.add_argument(
        "--headers-on-429-only",
        action="store_true",
        help="RateLimit-* only on 429s (GitLab's default; the figures in the README: on every answer)",
    )
    args = parser.parse_args(argv)

    sandbox = Sandbox()
    try:
        with tempfile.TemporaryDirectory(prefix=f"rate-limit-{args.projects}-") as tmp:
            work = Path(tmp)
            sandbox.world(args.projects, latency_ms=0)
            inventory = workload.write_inventory(work, args.projects)
            env = provisioner_env(sandbox, work, args.concurrency)
            base = [sys.executable, "-m", "provisioner"]
            code, seconds, _ = timed(
                [*base, "apply", "--yes", "-i", str(inventory)], env, ROOT, work / "apply.log"
            )
            print(f"converged {args.projects} projects: apply exit {code}, {seconds:.0f} s", flush=True)
            if code != 0:
                return 1
            every = not args.headers_on_429_only
            sandbox.admin("POST", "rate-limit", {"per_minute": args.limit, "headers_on_every_answer": every})
            sandbox.admin("POST", "requests/reset")
            check = [*base, "check", "-i", str(inventory), "--format", "json"]
            if args.max_rate:
                check += ["--max-rate", str(args.max_rate)]
            code, seconds, _ = timed(check, env, ROOT, work / "check.log")
            counters = sandbox.admin("GET", "requests")
    finally:
        sandbox.close()
    requests, throttled = int(counters["total"]), int(counters["throttled"])
    pace = min(args.limit, args.max_rate or args.limit)
    ideal = requests / pace * 60
    print(
        f"projects {args.projects}, limit {args.limit}/min, max-rate {args.max_rate or '-'}, "
        f"concurrency {args.concurrency}: check exit {code}\n"
        f"requests {requests}, answered 429: {throttled} ({100 * throttled / max(1, requests):.2f}%), "
        f"wall {seconds:.1f} s, requests/{pace} a minute = {ideal:.1f} s, ratio {seconds / ideal:.3f}"
    )
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
