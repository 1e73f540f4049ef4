"""The sandbox's world: plain mutable dataclasses, one `State` holding them, JSON in and out.

Handlers run on one event loop and never await while mutating, so no locks are needed.
Route modules (the GraphQL resolvers too) read entities straight from `State`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.sandbox.entities import (
    ADMIN,
    DEVELOPER,
    GUEST,
    MAINTAINER,
    NO_ONE,
    OWNER,
    REPORTER,
    AccessLevel,
    ApprovalRule,
    Commit,
    ContainerProtectionRule,
    DeployKey,
    DeployKeyLink,
    DeployToken,
    GroupShare,
    Hook,
    Job,
    Member,
    MergeRequest,
    Namespace,
    Package,
    PackageFile,
    PackageProtectionRule,
    PipelineSchedule,
    Project,
    ProtectedBranch,
    ProtectedTag,
    PushRule,
    Repo,
    Runner,
    ScheduleVariable,
    Token,
    User,
    Variable,
    frozen_time,
    now_iso,
)

__all__ = [
    "ADMIN",
    "DEVELOPER",
    "GUEST",
    "MAINTAINER",
    "NO_ONE",
    "OWNER",
    "REPORTER",
    "AccessLevel",
    "ApprovalRule",
    "Commit",
    "ContainerProtectionRule",
    "DeployKey",
    "DeployKeyLink",
    "DeployToken",
    "GroupShare",
    "Hook",
    "Job",
    "Member",
    "MergeRequest",
    "Namespace",
    "Package",
    "PackageFile",
    "PackageProtectionRule",
    "PipelineSchedule",
    "Project",
    "ProtectedBranch",
    "ProtectedTag",
    "PushRule",
    "Repo",
    "Runner",
    "ScheduleVariable",
    "State",
    "Token",
    "User",
    "Variable",
    "frozen_time",
    "now_iso",
]


@dataclass
class State:
    version: str = "18.6.0-ee"  # as GET /version answers it (see options.configure)
    revision: str = "6f3b2c1a9d4"
    settings: dict[str, Any] = field(default_factory=dict)  # instance settings (PUT /application/settings)
    counters: dict[str, int] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    tokens: dict[int, Token] = field(default_factory=dict)
    namespaces: dict[int, Namespace] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    runners: dict[int, Runner] = field(default_factory=dict)
    deploy_tokens: dict[int, DeployToken] = field(default_factory=dict)
    deploy_keys: dict[int, DeployKey] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, int] = field(default_factory=dict)  # old full path (lower case) -> project id
    jobs: dict[int, Job] = field(default_factory=dict)  # CI jobs (their job tokens), see ci_jobs.py
    packages: dict[int, Package] = field(default_factory=dict)  # package registry, see routes/packages.py
    # Lookup indexes, rebuilt on load, never serialised.
    tokens_by_secret: dict[str, int] = field(default_factory=dict, repr=False)
    jobs_by_token: dict[str, int] = field(default_factory=dict, repr=False)
    paths: dict[str, int] = field(default_factory=dict, repr=False)  # project full path (lower) -> id
    namespace_paths: dict[str, int] = field(default_factory=dict, repr=False)

    _INDEXES = ("tokens_by_secret", "jobs_by_token", "paths", "namespace_paths")

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
        self.jobs_by_token = {j.token: j.id for j in self.jobs.values()}
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
