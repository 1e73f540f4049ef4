"""Import N varied projects from an in-process sandbox, then plan the result; print times and requests.

python -m benchmarks.import_estate --projects 200 --concurrency 8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from provisioner.engine.run import run
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.onboard.importer import import_group
from provisioner.sandbox import SandboxOptions, SandboxServer
from tests.onboard.varied_seed import ROOT, seed_varied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    server = SandboxServer(SandboxOptions(seed="empty"))
    started = time.perf_counter()
    seed_varied(server.state, args.projects)
    print(f"seed      {args.projects} projects in {time.perf_counter() - started:.2f} s")
    with server:
        api = GitLabApi(server.url, server.token)
        try:
            started = time.perf_counter()
            result = import_group(api, ROOT, concurrency=args.concurrency)
            seconds = time.perf_counter() - started
            print(f"import    {seconds:.2f} s, {_requests(server)}, {len(result.text.splitlines())} lines")
            _reset(server)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder, "inventory.yaml")
                path.write_text(result.text, encoding="utf-8")
                loaded = load_inventory(path)
                started = time.perf_counter()
                plan = run(api, loaded.projects, loaded.groups, mode="plan", concurrency=args.concurrency)
                seconds = time.perf_counter() - started
            pending = sum(len(p.pending) for p in plan.projects)
            print(f"plan      {seconds:.2f} s, {_requests(server)}, {pending} pending changes")
        finally:
            api.close()


def _requests(server: SandboxServer) -> str:
    counters = requests.get(
        f"{server.url}/-/sandbox/requests", headers={"PRIVATE-TOKEN": server.token}, timeout=15
    ).json()
    return f"{counters['total']} requests ({counters['writes']} writes)"


def _reset(server: SandboxServer) -> None:
    requests.post(
        f"{server.url}/-/sandbox/requests/reset", headers={"PRIVATE-TOKEN": server.token}, timeout=15
    ).raise_for_status()


if __name__ == "__main__":
    main()
