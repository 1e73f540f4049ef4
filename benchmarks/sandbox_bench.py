"""Sandbox speed: GET requests per second on loopback, and the time to seed 10,000 projects.

Targets (issue 2): at least 1,000 simple GETs per second on a 2-core machine with no latency, and
10,000 projects seeded in under 10 s. Run: `python -m benchmarks.sandbox_bench [--seconds 5] [--clients 2]`.
The server's CPU time per request is printed too: it is the sandbox's capacity, whatever the client costs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

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


def _client(url: str, token: str, path: str, stop: float) -> tuple[int, int]:
    """One keep-alive connection asking as fast as it is answered: (200s, others). http.client, not
    requests: the load generator shares the two cores with the server and must cost it little."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    done = errors = 0
    while time.perf_counter() < stop:
        connection.request("GET", path, headers={"PRIVATE-TOKEN": token})
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            done += 1
        else:
            errors += 1
    connection.close()
    return done, errors


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time the server process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get_rate(
    url: str, token: str, path: str, clients: int, seconds: float, pid: int
) -> tuple[int, float, float]:
    """Requests answered to `clients` client processes in `seconds`, and the server's CPU time."""
    before = server_cpu_seconds(pid)
    started = time.perf_counter()
    stop = started + seconds
    with multiprocessing.Pool(clients) as pool:
        results = pool.starmap(_client, [(url, token, path, stop)] * clients)
    elapsed = time.perf_counter() - started
    errors = sum(e for _, e in results)
    if errors:
        print(f"  ({errors} non-200 answers)")
    return sum(d for d, _ in results), elapsed, server_cpu_seconds(pid) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--projects", type=int, default=10_000)
    args = parser.parse_args()
    process, url, token = start()
    try:
        for label, path in (
            ("GET /api/v4/version", "/api/v4/version"),
            ("GET /api/v4/projects/:id (encoded path)", "/api/v4/projects/platform%2Fbilling"),
            ("GET /api/v4/projects/:id/variables", "/api/v4/projects/data%2Freports/variables"),
        ):
            count, elapsed, cpu = get_rate(url, token, path, args.clients, args.seconds, process.pid)
            print(
                f"{label:45s} {count / elapsed:8.0f} requests/s ({count} in {elapsed:.1f} s, "
                f"{args.clients} clients; server CPU {1000 * cpu / max(count, 1):.2f} ms per request)"
            )
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
        count, elapsed, cpu = get_rate(
            url, token, "/api/v4/projects?per_page=20", args.clients, args.seconds, process.pid
        )
        print(
            f"{'GET /api/v4/projects (10,010 projects)':45s} {count / elapsed:8.0f} requests/s "
            f"(server CPU {1000 * cpu / max(count, 1):.2f} ms per request)"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
