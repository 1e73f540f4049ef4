"""Reads gathered in bulk for a run, served instead of one request per project.

A bulk reader (a group's project listing, a GraphQL query over many projects) fills the cache once;
the per-area read functions look here first. Everything known about a project is forgotten as soon
as the tool writes to it, so that the verification after `apply` reads the server afresh.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

MISSING: Any = object()


class RunCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # full path -> project entity, kept as compact JSON: a parsed entity takes twice the memory, and
        # a listing of 10,000 projects would hold 10,000 of them until each project's turn comes
        self._projects: dict[str, bytes] = {}
        self._paths: dict[int, str] = {}
        self._facts: dict[int, dict[str, Any]] = {}  # project id -> what -> normalised records
        self._lookups: dict[tuple[str, str], Any] = {}  # run-long lookups: ("group_id", path) -> 42

    def add_project(self, entity: Mapping[str, Any]) -> None:
        with self._lock:
            self._projects[str(entity["path_with_namespace"])] = json.dumps(
                entity, separators=(",", ":")
            ).encode()
            self._paths[int(entity["id"])] = str(entity["path_with_namespace"])

    def project(self, path: str) -> Mapping[str, Any] | None:
        with self._lock:
            stored = self._projects.get(path)
        return None if stored is None else dict(json.loads(stored))

    def put(self, project_id: int, what: str, value: Any) -> None:
        with self._lock:
            self._facts.setdefault(project_id, {})[what] = value

    def get(self, project_id: int, what: str) -> Any:
        """The cached value, or MISSING."""
        with self._lock:
            return self._facts.get(project_id, {}).get(what, MISSING)

    def forget_project(self, project_id: int) -> None:
        with self._lock:
            path = self._paths.pop(project_id, None)
            if path is not None:
                self._projects.pop(path, None)
            self._facts.pop(project_id, None)

    def has_facts(self, project_id: int) -> bool:
        """Whether bulk reads cached anything for the project (see `forget_facts`)."""
        with self._lock:
            return bool(self._facts.get(project_id))

    def forget_facts(self, project_id: int) -> None:
        """Forget what bulk reads said about the project, but keep its entity (a REST answer)."""
        with self._lock:
            self._facts.pop(project_id, None)

    def lookup(self, kind: str, key: str) -> Any:
        with self._lock:
            return self._lookups.get((kind, key), MISSING)

    def remember(self, kind: str, key: str, value: Any) -> None:
        with self._lock:
            self._lookups[(kind, key)] = value
