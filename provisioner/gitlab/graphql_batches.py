"""Step 2 of the bulk prefetch: GraphQL queries over up to 50 projects each, and what happens when one
fails.

Projects that want the same reads share a `projects(fullPaths:)` query, each read selected as this
server's version has it (`Read.selection_for`: one unknown field fails the whole query). `blobs(paths:)`
takes one list for every project of such a query, so it carries only the files every project of the
batch wants; the files a project wants alone (a path with its package's name in it) are asked in a
query of their own, one aliased `project(fullPath:)` per project. Nobody is asked for another
project's files: each costs GitLab a Gitaly lookup, and time.

GitLab refuses a query for its complexity before running it: the reads are then split into two
queries (a layout learnt once and shared by every batch), or the projects in two. A query can also
fail while it runs:
- GitLab's own timeout (30 s) answers what it resolved in time and `Timeout on Type.field` for the
  rest [G:lib/gitlab/graphql/timeout.rb]: the projects answered whole are kept, the others are asked
  again in a query of their own, and later queries carry fewer projects;
- no usable answer at all (a dropped connection, a 5xx, a proxy's timeout): the batch is split in two
  and each half asked again, down to single projects.
Only a project that still fails alone is left to the REST readers. GraphQL is given up for the rest of
the step when it is not there at all (a 4xx for the endpoint, a field this server does not know), or
when its failures outnumber its answers (after three failures): the REST readers then do the work, as
they do for everything bulk reads leave out.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from provisioner.errors import GitLabError, ServerError, Unreachable
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_files import BLOBS, blobs_selection
from provisioner.gitlab.graphql_members import MEMBERS_READ
from provisioner.gitlab.graphql_proposals import PROPOSALS
from provisioner.gitlab.graphql_reads import AREAS, Read, Wanted, numeric_id
from provisioner.gitlab.graphql_schedules import SCHEDULES_READ
from provisioner.gitlab_versions import Version

log = logging.getLogger(__name__)

READS: dict[str, Read] = {
    read.name: read for read in (*AREAS, BLOBS, MEMBERS_READ, SCHEDULES_READ, PROPOSALS)
}
MAX_FULL_PATHS = 50  # Query.projects(fullPaths:) [G:app/graphql/resolvers/projects_resolver.rb]
ALIASES = 16  # projects per query of their own files: ~14 complexity points each, 250 allowed
TIMEOUT = "Timeout on "  # graphql-ruby's message for a field resolved after the timeout


@dataclass
class GraphqlStats:
    graphql_queries: int = 0  # queries answered (refused or failed ones are not counted here)
    graphql_projects: int = 0
    queries_split: int = 0  # queries GitLab refused for their complexity, asked again in two
    queries_failed: int = 0  # queries that failed or timed out, asked again in smaller pieces
    projects_left: int = 0  # projects no query could read: the REST readers read them


@dataclass(frozen=True)
class _Piece:
    """One query's work: `reads` of the projects of `batch` (`projects(fullPaths:)`), or (`own_files`)
    each project's own files (one aliased `project(fullPath:)` per project)."""

    reads: tuple[str, ...]
    batch: tuple[Wanted, ...]
    own_files: bool = False

    def part(self, batch: Sequence[Wanted], reads: Sequence[str] | None = None) -> _Piece:
        return _Piece(tuple(self.reads if reads is None else reads), tuple(batch), self.own_files)


@dataclass(frozen=True)
class _Answer:
    outcome: str  # ok | too_complex | failed | unavailable
    again: tuple[Wanted, ...] = ()  # projects to ask again (failed: the whole batch; ok: timed out)
    timed_out: bool = False  # GitLab's own timeout: smaller queries from now on
    answered: int = 0  # projects answered whole


@dataclass
class _Health:
    """Whether GraphQL is still worth asking in this step."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: int = 0
    failed: int = 0
    off: bool = False

    def record(self, answer: _Answer) -> None:
        with self.lock:
            if answer.outcome == "unavailable":
                self.off = True
            elif answer.outcome == "failed":
                self.failed += 1
                self.off = self.off or (self.failed >= 3 and self.failed > self.answered)
            elif answer.outcome == "ok":
                self.answered += 1


class _Learnt:
    """What GitLab taught this run, kept from one window of projects to the next: how the reads are
    split into queries under its complexity limit (learnt from the first refusal, per set of reads and
    number of files), and how many projects a query may carry (after its own timeout, about as many as
    it answered in time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layouts: dict[Any, list[list[str]]] = {}
        self.size = MAX_FULL_PATHS
        self.aliases = ALIASES

    def layout(self, key: Any, reads: Sequence[str]) -> list[list[str]]:
        with self._lock:
            return [list(g) for g in self._layouts.get(key, [list(reads)])]

    def split(self, key: Any, reads: Sequence[str], group: Sequence[str]) -> list[list[str]]:
        with self._lock:
            layout = self._layouts.get(key, [list(reads)])
            if list(group) in layout and len(group) > 1:
                half = len(group) // 2
                at = layout.index(list(group))
                layout[at : at + 1] = [list(group[:half]), list(group[half:])]
                self._layouts[key] = layout
            return [list(g) for g in layout]

    def record(self, answer: _Answer, piece: _Piece) -> None:
        asked = len(piece.batch)
        fits = max(1, answer.answered * 9 // 10 if answer.answered else asked // 2)
        with self._lock:
            if answer.outcome == "too_complex" and piece.own_files:
                self.aliases = max(1, min(self.aliases, asked // 2))
            elif answer.timed_out and piece.own_files:
                self.aliases = min(self.aliases, fits)
            elif answer.timed_out:
                self.size = min(self.size, fits)


class _Queue:
    """The projects still to ask, by the reads they want, handed out as many at a time as a query
    may carry now."""

    def __init__(self, wanted: Sequence[Wanted]) -> None:
        self._lock = threading.Lock()
        self._left = [(reads, deque(members)) for reads, members in batches(wanted).items()]

    def take(self, size: int) -> tuple[tuple[str, ...], list[Wanted]] | None:
        with self._lock:
            for reads, members in self._left:
                if members:
                    return reads, [members.popleft() for _ in range(min(size, len(members)))]
            return None


def batches(wanted: Sequence[Wanted]) -> dict[tuple[str, ...], list[Wanted]]:
    """Projects by the reads they want: those that can share one query."""
    found: dict[tuple[str, ...], list[Wanted]] = defaultdict(list)
    for item in wanted:
        reads = tuple(sorted(r for r in item.reads if r in READS))
        if reads:
            found[reads].append(item)
    return found


def shared_files(batch: Sequence[Wanted]) -> tuple[tuple[Wanted, ...], tuple[Wanted, ...]]:
    """The batch asked only for the files all of it wants, and the projects with files of their own
    asked only for those."""
    common = set.intersection(*(set(w.blob_paths) for w in batch)) if batch else set()
    shared = tuple(p for p in batch[0].blob_paths if p in common) if batch else ()
    own = (replace(w, blob_paths=tuple(p for p in w.blob_paths if p not in common)) for w in batch)
    return tuple(replace(w, blob_paths=shared) for w in batch), tuple(w for w in own if w.blob_paths)


def query_all(
    api: GitLabApi, wanted: Sequence[Wanted], pool: ThreadPoolExecutor, stats: GraphqlStats, workers: int
) -> None:
    server = api.server()
    learnt: _Learnt = cache.looked_up(api, "graphql", "learnt", _Learnt)
    health, queue = _Health(), _Queue(wanted)

    def work(_: object = None, *, once: bool = False) -> None:
        while not health.off and (taken := queue.take(learnt.size)) is not None:
            reads, chunk = taken
            batch, own = shared_files(chunk) if BLOBS.name in reads else (tuple(chunk), ())
            names = tuple(r for r in reads if r != BLOBS.name or batch[0].blob_paths)
            key = (names, len(batch[0].blob_paths))
            pending = learnt.layout(key, names) if names else []
            while pending and not health.off:
                ask(_Piece(tuple(pending.pop(0)), batch), key, pending)
            while own and not health.off:
                ask(_Piece((BLOBS.name,), own[: learnt.aliases], own_files=True), None, [])
                own = own[learnt.aliases :]
            if once:
                return

    def ask(piece: _Piece, key: Any, pending: list[list[str]]) -> None:
        if health.off:
            return
        answer = _query(api, server, piece, stats)
        health.record(answer)
        learnt.record(answer, piece)
        batch = piece.batch
        half = len(batch) // 2
        if answer.outcome == "too_complex" and len(piece.reads) > 1:
            stats.queries_split += 1
            layout = learnt.split(key, key[0], piece.reads)
            pending[:0] = [g for g in layout if set(g) <= set(piece.reads)]
        elif answer.outcome == "too_complex" and len(batch) > 1:
            # One read alone is too complex (many files): fewer projects per query.
            stats.queries_split += 1
            ask(piece.part(batch[:half]), key, pending)
            ask(piece.part(batch[half:]), key, pending)
        elif answer.again and len(answer.again) < len(batch):
            stats.queries_failed += 1
            ask(piece.part(answer.again), key, pending)  # what did not fit in the time
        elif answer.again and len(batch) > 1:
            stats.queries_failed += 1
            ask(piece.part(batch[:half]), key, pending)
            ask(piece.part(batch[half:]), key, pending)
        elif answer.again or answer.outcome == "too_complex":
            stats.queries_failed += answer.outcome != "too_complex"
            stats.projects_left += 1
            log.info("prefetch: GraphQL could not read %s; it is read over REST", batch[0].path)

    work(once=True)  # alone first: what GitLab refuses is learnt once, not by every worker at once
    list(pool.map(work, range(max(1, workers))))


def _query(api: GitLabApi, server: Version, piece: _Piece, stats: GraphqlStats) -> _Answer:
    reads = [READS[n] for n in piece.reads]
    query, variables = (own_files_query if piece.own_files else batch_query)(reads, piece.batch, server)
    try:
        answer = api.graphql(query, variables)
    except (Unreachable, ServerError) as exc:
        log.info("prefetch: a GraphQL query of %d projects failed (%s)", len(piece.batch), exc)
        return _Answer("failed", piece.batch)
    except GitLabError as exc:
        log.info("prefetch: GraphQL unavailable (%s); reading over REST", exc)
        return _Answer("unavailable")
    errors = [e for e in (answer or {}).get("errors") or () if isinstance(e, Mapping)]
    timeouts = [e for e in errors if str(e.get("message", "")).startswith(TIMEOUT)]
    nodes = _nodes(piece, (answer or {}).get("data"))
    if nodes is None:
        messages = " ".join(str(e.get("message")) for e in errors)
        if "complexity" in messages:
            return _Answer("too_complex")
        if timeouts:
            return _Answer("failed", piece.batch, timed_out=True)
        log.info("prefetch: GraphQL answered no data (%s); reading over REST", messages or "no message")
        return _Answer("unavailable")
    stats.graphql_queries += 1
    late = {_late(piece, e.get("path")) for e in timeouts}
    by_path = {w.path.lower(): w for w in piece.batch}
    answered: set[str] = set()
    for place, node in nodes:
        if node is None or place in late:
            continue  # missing or invisible (REST will say which), or not resolved in time
        asked = by_path.get(str(node.get("fullPath", "")).lower())
        if asked is None:
            continue  # not a project of this batch: nothing says what it was asked for
        project_id = numeric_id(node["id"])
        admin = bool((node.get("userPermissions") or {}).get("adminProject"))
        for read in reads:
            if admin or not read.needs_maintainer:
                read.store(api.cache, project_id, node, asked)
        answered.add(asked.path)
        stats.graphql_projects += 1
    if not timeouts:
        return _Answer("ok", answered=len(answered))
    late_projects = tuple(w for w in piece.batch if w.path not in answered)
    return _Answer("ok", late_projects, timed_out=True, answered=len(answered))


def _nodes(piece: _Piece, data: Any) -> list[tuple[Any, Any]] | None:
    """(place in the answer, project node) for each project answered; None: no data at all."""
    if not isinstance(data, Mapping):
        return None
    if piece.own_files:
        return [(f"p{i}", data.get(f"p{i}")) for i in range(len(piece.batch))] if data else None
    projects = data.get("projects")
    return list(enumerate(projects.get("nodes") or ())) if isinstance(projects, Mapping) else None


def _late(piece: _Piece, path: Any) -> Any:
    """Where in the answer a timed-out field is: ["projects", "nodes", 3, ...] -> 3, ["p3", ...] -> "p3"."""
    if not isinstance(path, list) or not path:
        return None
    if piece.own_files:
        return path[0]
    return path[2] if len(path) > 2 and path[:2] == ["projects", "nodes"] else None


def batch_query(
    reads: Sequence[Read], batch: Sequence[Wanted], server: Version
) -> tuple[str, dict[str, Any]]:
    declared = {"paths": "[String!]!", "n": "Int"}
    for read in reads:
        declared.update(read.variables)
    arguments = ", ".join(f"${name}: {kind}" for name, kind in declared.items())
    selections = " ".join(r.selection_for(server) for r in reads)
    query = (
        f"query({arguments}) {{ projects(fullPaths: $paths, first: $n) {{ nodes {{ "
        f"id fullPath userPermissions {{ adminProject }} {selections} }} }} }}"
    )
    variables: dict[str, Any] = {"paths": [w.path for w in batch], "n": len(batch)}
    if any(r.name == BLOBS.name for r in reads):
        variables["blobPaths"] = list(batch[0].blob_paths)  # the same for the whole batch
    if any(r.name == PROPOSALS.name for r in reads):
        # Every project's branches: each one's store keeps its own. Never empty: no filter at all.
        variables["proposalBranches"] = sorted({b for w in batch for b in w.proposal_branches}) or [""]
    return query, variables


def own_files_query(
    reads: Sequence[Read], batch: Sequence[Wanted], server: Version
) -> tuple[str, dict[str, Any]]:
    arguments = ", ".join(f"$p{i}: ID!, $b{i}: [String!]!" for i in range(len(batch)))
    fields = " ".join(
        f"p{i}: project(fullPath: $p{i}) {{ id fullPath {blobs_selection(f'$b{i}', len(w.blob_paths))} }}"
        for i, w in enumerate(batch)
    )
    variables: dict[str, Any] = {}
    for i, w in enumerate(batch):
        variables[f"p{i}"], variables[f"b{i}"] = w.path, list(w.blob_paths)
    return f"query({arguments}) {{ {fields} }}", variables
