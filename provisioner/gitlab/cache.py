"""Reads gathered in bulk for a run, served instead of one request per project.

A bulk reader (a group's project listing, a GraphQL query over many projects) fills the cache once;
the per-area read functions look here first. What bulk reads said about a project, and its entity,
are forgotten as soon as the tool writes to it, so that the verification after `apply` reads the
server afresh.

Besides, while a project is worked on, the area modules keep what GitLab's own REST answers showed
of each resource: the last read of it, revised by the answers to the tool's writes to it (a created
rule is in the answer to its POST, a deleted one is gone once the DELETE answered). Verification
then reads again only what no answer showed: a write whose answer does not carry the result (a 204,
a create whose answer was lost) forgets its resource. Kept state outlives `forget_project` (a write
to something else) and goes with `release` (the project is planned anew). The project entity itself is
kept that way too once `PUT /projects/:id` answered it (`answered_entity`), until a write that changes
what it shows says so (`rewritten`). When a project is done,
`done` drops all of it: a run over 10,000 projects holds only what its workers are about to use.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from provisioner.gitlab.api import GitLabApi

MISSING: Any = object()
ENTITY = "project_entity"  # what the kept entity of a project is kept as
T = TypeVar("T")


class RunCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # full path -> project entity, kept as compressed compact JSON (a fifth of the bytes; a parsed
        # entity takes twice them): listings of 10,000 projects hold 10,000 until each one's turn comes
        self._projects: dict[str, bytes] = {}
        self._paths: dict[int, str] = {}
        self._facts: dict[int, dict[str, Any]] = {}  # project id -> what -> normalised records
        self._kept: dict[int, dict[str, Any]] = {}  # project id -> what -> as REST answers showed it
        self._kept_paths: dict[str, int] = {}  # full path -> id, of the projects whose entity is kept
        self._served: dict[int, set[str]] = {}  # project id -> the facts `get` answered (see `take_served`)
        self._lookups: dict[tuple[str, str], Any] = {}  # run-long lookups: ("group_id", path) -> 42

    def add_project(self, entity: Mapping[str, Any]) -> None:
        with self._lock:
            self._projects[str(entity["path_with_namespace"])] = zlib.compress(
                json.dumps(entity, separators=(",", ":")).encode(), 1
            )
            self._paths[int(entity["id"])] = str(entity["path_with_namespace"])

    def project(self, path: str) -> Mapping[str, Any] | None:
        """The entity a REST answer showed (`keep_project`), else the one a listing showed, else None."""
        with self._lock:
            project_id = self._kept_paths.get(path)
            kept = None if project_id is None else self._kept.get(project_id, {}).get(ENTITY)
            if kept is not None:
                return dict(kept)
            stored = self._projects.get(path)
        return None if stored is None else dict(json.loads(zlib.decompress(stored)))

    def keep_project(self, entity: Mapping[str, Any]) -> None:
        """The project entity a REST answer showed: kept as the answers of the areas are."""
        project_id, path = int(entity["id"]), str(entity["path_with_namespace"])
        with self._lock:
            self._kept.setdefault(project_id, {})[ENTITY] = dict(entity)
            self._kept_paths[path] = project_id

    def put(self, project_id: int, what: str, value: Any) -> None:
        with self._lock:
            self._facts.setdefault(project_id, {})[what] = value

    def get(self, project_id: int, what: str) -> Any:
        """The cached value (what REST answers showed before what bulk reads said), or MISSING."""
        with self._lock:
            kept = self._kept.get(project_id, {}).get(what, MISSING)
            if kept is not MISSING:
                return kept
            fact = self._facts.get(project_id, {}).get(what, MISSING)
            if fact is not MISSING:
                self._served.setdefault(project_id, set()).add(what)
            return fact

    def take_served(self, project_id: int) -> frozenset[str]:
        """The bulk facts `get` answered for the project since this was last asked (and forgets them):
        what one facet's observation rested on."""
        with self._lock:
            return frozenset(self._served.pop(project_id, ()))

    def trust(self, project_id: int, whats: frozenset[str]) -> None:
        """What bulk reads said of `whats` counts as a REST answer would: kept, and revised by the
        answers to the writes like one (a facet whose bulk view is as good as REST for its writes)."""
        with self._lock:
            facts, kept = self._facts.get(project_id, {}), self._kept.setdefault(project_id, {})
            for what in whats:
                if what in facts and what not in kept:
                    kept[what] = facts.pop(what)

    def keep(self, project_id: int, what: str, value: Any) -> None:
        """What a REST answer showed of `what`, as the area's reader returns it."""
        with self._lock:
            self._kept.setdefault(project_id, {})[what] = value

    def revise(self, project_id: int, what: str, change: Callable[[Any], Any]) -> None:
        """After a write to `what` whose answer shows its result: the kept value, changed by
        `change(old)`. Nothing is kept when nothing was (a revision of nothing would be a guess)."""
        with self._lock:
            self._facts.get(project_id, {}).pop(what, None)
            kept = self._kept.get(project_id, {})
            if what in kept:
                kept[what] = change(kept[what])

    def forget(self, project_id: int, what: str) -> None:
        """Read `what` from GitLab next time: a write's answer did not show its result."""
        with self._lock:
            self._facts.get(project_id, {}).pop(what, None)
            gone = self._kept.get(project_id, {}).pop(what, None)
            if what == ENTITY and gone is not None:
                self._kept_paths.pop(str(gone["path_with_namespace"]), None)

    def release(self, project_id: int) -> None:
        """The project is planned anew: what was kept of it goes (`done` drops the rest too)."""
        with self._lock:
            entity = self._kept.pop(project_id, {}).get(ENTITY)
            if entity is not None:
                self._kept_paths.pop(str(entity["path_with_namespace"]), None)

    def done(self, project_id: int) -> None:
        """The project is done for this run: nothing of it is kept (its lookups stay: other projects
        may name it)."""
        self.forget_project(project_id)
        self.release(project_id)

    def forget_project(self, project_id: int) -> None:
        """The tool writes to the project: its entity and what bulk reads said no longer hold."""
        with self._lock:
            path = self._paths.pop(project_id, None)
            if path is not None:
                self._projects.pop(path, None)
            self._facts.pop(project_id, None)
            self._served.pop(project_id, None)

    def has_facts(self, project_id: int) -> bool:
        """Whether bulk reads cached anything for the project (see `forget_facts`)."""
        with self._lock:
            return bool(self._facts.get(project_id))

    def forget_facts(self, project_id: int, whats: frozenset[str] | None = None) -> None:
        """Forget what bulk reads said of `whats` (None: all of it), so that it is read over REST (the
        entity stays: a REST answer)."""
        with self._lock:
            if whats is None:
                self._facts.pop(project_id, None)
                return
            facts = self._facts.get(project_id, {})
            for what in whats:
                facts.pop(what, None)

    def held(self) -> int:
        """How many projects the cache holds details of (bulk facts or kept answers; entities, small
        and compressed, are read for the whole run at once)."""
        with self._lock:
            return len(self._facts.keys() | self._kept.keys())

    def lookup(self, kind: str, key: str) -> Any:
        with self._lock:
            return self._lookups.get((kind, key), MISSING)

    def remember(self, kind: str, key: str, value: Any) -> None:
        with self._lock:
            self._lookups[(kind, key)] = value


# -- the one way the area modules use the cache ---------------------------------------------------
def read(api: GitLabApi, project_id: int, what: str, fetch: Callable[[], T]) -> T:
    """`what` of the project: as a REST answer or a bulk read already showed it, else fetched and kept.
    What `fetch` returns is kept as is: return immutable values (tuples, frozen records)."""
    known = api.cache.get(project_id, what)
    if known is not MISSING:
        return known  # type: ignore[no-any-return]
    value = fetch()
    api.cache.keep(project_id, what, value)
    return value


def answered(api: GitLabApi, project_id: int, what: str, change: Callable[[Any], Any]) -> None:
    """A write to `what` whose answer shows its result: the kept value, changed by `change(old)`."""
    api.cache.revise(project_id, what, change)


def shown(api: GitLabApi, project_id: int, what: str, value: Any) -> None:
    """A write whose answer shows all of `what` as it now is: kept as such."""
    api.cache.keep(project_id, what, value)


def unknown(api: GitLabApi, project_id: int, what: str) -> None:
    """A write to `what` whose answer does not show its result: read it again next time."""
    api.cache.forget(project_id, what)


def rewritten(api: GitLabApi, project_id: int) -> None:
    """A write that changes what the project's entity shows: the entity (listed, or kept from an
    answer), and what bulk reads said of the project, no longer hold."""
    api.cache.forget_project(project_id)
    api.cache.forget(project_id, ENTITY)


def entity_answered(
    api: GitLabApi, project_id: int, change: Callable[[Mapping[str, Any]], Mapping[str, Any]]
) -> None:
    """A write whose success shows how it changed the entity: the listed entity and what bulk reads
    said go (as with `rewritten`); the kept one, if any, is changed by `change(old)`."""
    api.cache.forget_project(project_id)
    api.cache.revise(project_id, ENTITY, change)


def answered_entity(api: GitLabApi, entity: Mapping[str, Any]) -> None:
    """The project's entity as the answer to a write to it showed it: finding the project by path
    serves it (verification reads it from there) until a write that changes it says so."""
    api.cache.keep_project(entity)


def kept_entity(api: GitLabApi, project_id: int) -> Mapping[str, Any] | None:
    """The project's entity as an answer showed it, if one is kept."""
    kept = api.cache.get(project_id, ENTITY)
    return None if kept is MISSING else kept


def looked_up(api: GitLabApi, kind: str, key: str, fetch: Callable[[], T]) -> T:
    """A run-long lookup (a path's id, the runners a project may use): fetched once per run."""
    known = api.cache.lookup(kind, key)
    if known is not MISSING:
        return known  # type: ignore[no-any-return]
    value = fetch()
    api.cache.remember(kind, key, value)
    return value


def bulk_only(api: GitLabApi, project_id: int, what: str) -> Any:
    """What a bulk read said of `what` (or a REST answer showed), without fetching: MISSING if nothing."""
    return api.cache.get(project_id, what)


def listed(api: GitLabApi, entity: Mapping[str, Any]) -> None:
    """A project entity a listing showed: reading the project by path later costs no request."""
    api.cache.add_project(entity)


def entity(api: GitLabApi, path: str) -> Mapping[str, Any] | None:
    """The project entity a listing showed (and no write has touched since), or None."""
    return api.cache.project(path)
