"""Sandbox speed: GET requests per second on loopback, and the time to seed 10,000 projects.

Targets (issue 2): at least 1,000 simple GETs per second on a 2-core machine with no latency, and
10,000 projects seeded in under 10 s. Run: `python benchmarks/sandbox_bench.py [--seconds 5]`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def start() -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "sandbox", "serve", "--port", "0", "--seed", "demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    return process, ready["url"], ready["token"]


def get_rate(url: str, token: str, path: str, threads: int, seconds: float) -> tuple[int, float]:
    """Requests completed by `threads` keep-alive clients in `seconds`."""
    done = [0] * threads
    errors = [0] * threads
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["PRIVATE-TOKEN"] = token
        while time.perf_counter() < stop:
            if session.get(url + path, timeout=10).status_code == 200:
                done[index] += 1
            else:
                errors[index] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if sum(errors):
        print(f"  ({sum(errors)} non-200 answers)")
    return sum(done), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--projects", type=int, default=10_000)
    args = parser.parse_args()
    process, url, token = start()
    try:
        for label, path in (
            ("GET /api/v4/version", "/api/v4/version"),
            ("GET /api/v4/projects/:id (encoded path)", "/api/v4/projects/platform%2Fbilling"),
            ("GET /api/v4/projects/:id/variables", "/api/v4/projects/data%2Freports/variables"),
        ):
            count, elapsed = get_rate(url, token, path, args.threads, args.seconds)
            rate = count / elapsed
            print(f"{label:45s} {rate:8.0f} requests/s ({count} in {elapsed:.1f} s, {args.threads} threads)")
        started = time.perf_counter()
        answer = requests.post(
            url + "/-/sandbox/seed",
            headers={"PRIVATE-TOKEN": token},
            json={"projects": args.projects, "group": "bulk"},
            timeout=120,
        ).json()
        wall = time.perf_counter() - started
        print(
            f"seed {answer['created']} projects: {answer['seconds']:.2f} s in the server, {wall:.2f} s wall"
        )
        count, elapsed = get_rate(url, token, "/api/v4/projects?per_page=20", args.threads, args.seconds)
        print(f"{'GET /api/v4/projects (10,010 projects)':45s} {count / elapsed:8.0f} requests/s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
