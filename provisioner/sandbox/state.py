"""The sandbox's world: plain mutable dataclasses, one `State` holding them, JSON in and out.

Handlers run on one event loop and never await while mutating, so no locks are needed.
Route modules (including a future GraphQL module) read entities straight from `State`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER, ADMIN = 10, 20, 30, 40, 50, 60
NO_ONE = 0


_frozen_time: list[str] = []  # set while seeding, so that the demo world is the same every time


def now_iso() -> str:
    if _frozen_time:
        return _frozen_time[-1]
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@contextmanager
def frozen_time(timestamp: str) -> Iterator[None]:
    _frozen_time.append(timestamp)
    try:
        yield
    finally:
        _frozen_time.pop()


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    namespace_id: int
    created_at: str
    is_admin: bool = False
    state: str = "active"
    bot: bool = False


@dataclass
class Token:
    id: int
    user_id: int
    name: str
    secret: str
    scopes: list[str]
    created_at: str
    expires_at: str | None = None  # YYYY-MM-DD
    revoked: bool = False
    description: str = ""
    last_used_at: str | None = None


@dataclass
class Member:
    user_id: int
    access_level: int
    created_at: str
    expires_at: str | None = None


@dataclass
class Variable:
    key: str
    value: str
    variable_type: str = "env_var"
    protected: bool = False
    masked: bool = False
    hidden: bool = False
    raw: bool = False
    environment_scope: str = "*"
    description: str | None = None


@dataclass
class Namespace:
    """A group, or a user's personal namespace (kind "user"), which only projects see."""

    id: int
    name: str
    path: str
    kind: str
    created_at: str
    parent_id: int | None = None
    owner_id: int | None = None  # personal namespaces
    visibility: str = "private"
    description: str = ""
    members: dict[int, Member] = field(default_factory=dict)
    variables: list[Variable] = field(default_factory=list)


@dataclass
class Commit:
    id: str
    tree: dict[str, str]  # path -> blob id
    parent_ids: list[str]
    message: str
    author_name: str
    author_email: str
    created_at: str
    executables: list[str] = field(default_factory=list)


@dataclass
class Repo:
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit id
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class AccessLevel:
    id: int
    access_level: int


@dataclass
class ProtectedBranch:
    id: int
    name: str
    push: list[AccessLevel]
    merge: list[AccessLevel]
    unprotect: list[AccessLevel]
    allow_force_push: bool = False
    code_owner_approval_required: bool = False


@dataclass
class ProtectedTag:
    id: int
    name: str
    create: list[AccessLevel]


@dataclass
class MergeRequest:
    id: int
    iid: int
    title: str
    source_branch: str
    target_branch: str
    author_id: int
    created_at: str
    updated_at: str
    description: str | None = None
    state: str = "opened"
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    remove_source_branch: bool | None = None
    squash: bool = False


@dataclass
class ContainerProtectionRule:
    id: int
    repository_path_pattern: str
    minimum_access_level_for_push: str | None
    minimum_access_level_for_delete: str | None


@dataclass
class PackageProtectionRule:
    id: int
    package_name_pattern: str
    package_type: str
    minimum_access_level_for_push: str | None
    minimum_access_level_for_delete: str | None = None


@dataclass
class GroupShare:
    group_id: int
    group_access: int
    expires_at: str | None = None


@dataclass
class Project:
    id: int
    name: str
    path: str
    namespace_id: int
    creator_id: int
    created_at: str
    updated_at: str
    settings: dict[str, Any]  # the attributes of REFERENCE 2.1, see project_attrs.py
    container_policy: dict[str, Any]
    description: str | None = None
    visibility: str = "private"
    default_branch: str | None = None
    archived: bool = False
    topics: list[str] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    variables: list[Variable] = field(default_factory=list)
    repo: Repo = field(default_factory=Repo)
    protected_branches: list[ProtectedBranch] = field(default_factory=list)
    protected_tags: list[ProtectedTag] = field(default_factory=list)
    merge_requests: list[MergeRequest] = field(default_factory=list)
    job_token_inbound_enabled: bool = True
    job_token_allowlist_projects: list[int] = field(default_factory=list)
    job_token_allowlist_groups: list[int] = field(default_factory=list)
    container_protection_rules: list[ContainerProtectionRule] = field(default_factory=list)
    package_protection_rules: list[PackageProtectionRule] = field(default_factory=list)
    shared_with: list[GroupShare] = field(default_factory=list)


@dataclass
class Runner:
    id: int
    runner_type: str  # instance_type, group_type, project_type
    token: str
    created_at: str
    description: str = ""
    paused: bool = False
    locked: bool = False
    run_untagged: bool = True
    tag_list: list[str] = field(default_factory=list)
    access_level: str = "not_protected"
    maximum_timeout: int | None = None
    maintenance_note: str | None = None
    project_ids: list[int] = field(default_factory=list)  # the first one owns the runner
    group_ids: list[int] = field(default_factory=list)
    contacted_at: str | None = None
    creator_id: int | None = None


@dataclass
class DeployToken:
    id: int
    name: str
    username: str
    secret: str
    scopes: list[str]
    project_id: int | None = None
    group_id: int | None = None
    expires_at: str | None = None
    revoked: bool = False


@dataclass
class State:
    version: str = "18.6.0-ee"
    revision: str = "6f3b2c1a9d4"
    counters: dict[str, int] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    tokens: dict[int, Token] = field(default_factory=dict)
    namespaces: dict[int, Namespace] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    runners: dict[int, Runner] = field(default_factory=dict)
    deploy_tokens: dict[int, DeployToken] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, int] = field(default_factory=dict)  # old full path (lower case) -> project id
    # Lookup indexes, rebuilt on load, never serialised.
    tokens_by_secret: dict[str, int] = field(default_factory=dict, repr=False)
    paths: dict[str, int] = field(default_factory=dict, repr=False)  # project full path (lower) -> id
    namespace_paths: dict[str, int] = field(default_factory=dict, repr=False)

    _INDEXES = ("tokens_by_secret", "paths", "namespace_paths")

    def next_id(self, kind: str) -> int:
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value

    # -- paths ---------------------------------------------------------------------------------
    def namespace_full_path(self, namespace_id: int) -> str:
        parts = []
        current: int | None = namespace_id
        while current is not None:
            ns = self.namespaces[current]
            parts.append(ns.path)
            current = ns.parent_id
        return "/".join(reversed(parts))

    def project_full_path(self, project: Project) -> str:
        return f"{self.namespace_full_path(project.namespace_id)}/{project.path}"

    def ancestors(self, namespace_id: int | None) -> list[Namespace]:
        """The namespace and its parents, nearest first."""
        chain = []
        while namespace_id is not None:
            ns = self.namespaces[namespace_id]
            chain.append(ns)
            namespace_id = ns.parent_id
        return chain

    def descendants(self, namespace_id: int) -> list[Namespace]:
        found = [namespace_id]
        for ns in sorted(self.namespaces.values(), key=lambda n: n.id):
            if ns.parent_id in found:
                found.append(ns.id)
        return [self.namespaces[i] for i in found[1:]]

    # -- index upkeep --------------------------------------------------------------------------
    def add_token(self, token: Token) -> None:
        self.tokens[token.id] = token
        self.tokens_by_secret[token.secret] = token.id

    def add_namespace(self, ns: Namespace) -> None:
        self.namespaces[ns.id] = ns
        self.namespace_paths[self.namespace_full_path(ns.id).lower()] = ns.id

    def add_project(self, project: Project) -> None:
        self.projects[project.id] = project
        self.paths[self.project_full_path(project).lower()] = project.id

    def remove_project(self, project: Project) -> None:
        del self.projects[project.id]
        self.paths.pop(self.project_full_path(project).lower(), None)
        self.redirects = {k: v for k, v in self.redirects.items() if v != project.id}

    def rebuild_indexes(self) -> None:
        self.tokens_by_secret = {t.secret: t.id for t in self.tokens.values()}
        self.namespace_paths = {self.namespace_full_path(i).lower(): i for i in self.namespaces}
        self.paths = {self.project_full_path(p).lower(): p.id for p in self.projects.values()}

    # -- persistence ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in self._INDEXES
        }
        data["blobs"] = {k: base64.b64encode(v).decode() for k, v in self.blobs.items()}
        return typing.cast(dict[str, Any], _plain(data))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        data = dict(data)
        blobs = {k: base64.b64decode(v) for k, v in data.pop("blobs", {}).items()}
        state = typing.cast(State, _build(State, data))
        state.blobs = blobs
        state.rebuild_indexes()
        return state

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json()), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> State:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _build(tp: Any, value: Any) -> Any:
    """Rebuild a value of annotated type `tp` from its JSON form (enough for the types above)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    if origin is dict:
        key_type, item = typing.get_args(tp)
        return {key_type(k): _build(item, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp) if f.init}
        return tp(**{k: _build(hints[k], v) for k, v in value.items() if k in names})
    return value
