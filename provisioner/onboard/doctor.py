"""`provisioner doctor`: what to know of a GitLab, a token and an inventory before the first bulk apply.

Each finding is a value (`Check`): an area, a status and one display-safe line, with details. A
`problem` would make a run fail or mislead (a token that cannot use the API, a managed group the token
cannot work in, an inventory key this GitLab cannot honour: the run would say "unsupported" for it and
still pass); the command then exits 1. `warning`s are worth reading first; `note`s say what is so.

What a version means comes from `provisioner.gitlab_versions` (the rows each facet declares in
`features`, and what the inventory asks of each facet in `requirements`); nothing here names a facet.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from provisioner import gitlab_versions
from provisioner.errors import Forbidden, GitLabError, NotFound, Unauthorized
from provisioner.facets.base import Facet
from provisioner.gitlab import graphql_batches, identity
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.identity import TokenRecord, UserRecord
from provisioner.gitlab.transport import encode
from provisioner.gitlab_versions import Version
from provisioner.inventory.spec import LoadedInventory
from provisioner.onboard import auth

OK, NOTE, WARNING, PROBLEM = "ok", "note", "warning", "problem"
MAINTAINER = 40
ROLES = {
    5: "Minimal Access",
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
}
EXAMPLES = 5  # targets named per inventory finding
_GRAPHQL_PROBE = "query { currentUser { username } queryComplexity { limit } }"


@dataclass(frozen=True)
class Check:
    area: str
    status: str  # ok | note | warning | problem
    summary: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    url: str
    checks: tuple[Check, ...]

    @property
    def failed(self) -> bool:
        return any(c.status == PROBLEM for c in self.checks)

    def public(self) -> dict[str, Any]:
        return {"url": self.url, "ok": not self.failed, "checks": [asdict(c) for c in self.checks]}


def diagnose(
    api: GitLabApi,
    inventory: LoadedInventory | None,
    facets: Sequence[Facet[Any]],
    *,
    today: date,
    samples: int = 3,
) -> Diagnosis:
    server = api.server()
    user, token_checks = check_token(api, today)
    checks = [
        check_server(server),
        *check_facets(server, facets),
        *token_checks,
        *check_groups(api, user, managed_groups(inventory)),
        check_graphql(api, server),
        *check_instance(api, server, user),
        *check_latency(api, samples),
        *check_inventory(server, facets, inventory),
    ]
    return Diagnosis(api.url, tuple(checks))


# -- the server and what its version means -------------------------------------------------------
def check_server(server: Version) -> Check:
    edition = "Enterprise Edition" if server.edition == gitlab_versions.EE else "Community Edition"
    (first, before) = gitlab_versions.SUPPORTED
    supported = f"supported: {first[0]}.{first[1]} to {before[0] - 1}.x, both editions"
    text = f"GitLab {server} ({edition})"
    if server.release[:2] < first:
        return Check("server", PROBLEM, f"{text}: older than the tool supports ({supported})")
    if server.release[:2] >= before:
        return Check("server", WARNING, f"{text}: newer than the tool was tested with ({supported})")
    return Check("server", OK, f"{text}: {supported}")


def check_facets(server: Version, facets: Sequence[Facet[Any]]) -> list[Check]:
    """Per facet, the rows of the version table it uses that this server lacks."""
    found = []
    for facet in facets:
        lacking = [(needs, f) for f in facet.features if (needs := gitlab_versions.needs(f, server))]
        if not lacking:
            said = (
                "everything it manages exists on this server"
                if facet.features
                else "nothing version-dependent"
            )
            found.append(Check(f"facet {facet.name}", OK, said))
            continue
        details = tuple(f"{needs}: {feature}{_flag(feature, server)}" for needs, feature in lacking)
        summary = f"{len(lacking)} of what it can manage is missing here (unsupported if the inventory asks)"
        found.append(Check(f"facet {facet.name}", NOTE, summary, details))
    return found


def _flag(feature: str, server: Version) -> str:
    flag = gitlab_versions.flagged_off(feature, server)
    return f" (behind the feature flag {flag}, off by default)" if flag else ""


# -- the token -------------------------------------------------------------------------------------
def check_token(api: GitLabApi, today: date) -> tuple[UserRecord | None, list[Check]]:
    """The token (`GET /personal_access_tokens/self`; other kinds of token: only its user) and its user."""
    try:
        token: TokenRecord | None = identity.token_self(api)
    except Unauthorized:
        return None, [Check("token", PROBLEM, "GitLab refuses the token (invalid, expired or revoked)")]
    except (Forbidden, NotFound):
        token = None  # not a personal, project or group access token: GitLab does not describe it
    user = identity.current_user(api)
    owner = "unknown (the token may not read its user)" if user is None else user.username
    if user is not None and user.is_admin:
        owner += ", administrator"
    if token is None:
        summary = f"owner {owner}; scopes and expiry unknown (GET /personal_access_tokens/self not allowed)"
        return user, [Check("token", WARNING, summary)]
    scopes = set(token.scopes)
    expiry = "never expires" if token.expires_at is None else f"expires {token.expires_at.isoformat()}"
    summary = (
        f"{token.name or '(unnamed)'}: owner {owner}; scopes {', '.join(token.scopes) or 'none'}; {expiry}"
    )
    warnings = auth.warnings(auth.Identity(token, user), today)
    status = PROBLEM if not scopes & {"api", "read_api"} else WARNING if warnings else OK
    return user, [Check("token", status, summary, tuple(warnings))]


def managed_groups(inventory: LoadedInventory | None) -> list[str]:
    """The groups the inventory works in: those it configures and those its projects are in."""
    if inventory is None:
        return []
    paths = {g.path for g in inventory.groups} | {p.path.rsplit("/", 1)[0] for p in inventory.projects}
    return sorted(p for p in paths if p)


def check_groups(api: GitLabApi, user: UserRecord | None, groups: Sequence[str]) -> list[Check]:
    if not groups:
        return []
    if user is None:
        return [Check("groups", WARNING, "roles unknown: the token may not read its own user")]
    if user.is_admin:
        return [Check("groups", OK, f"administrator: every group ({len(groups)} managed)")]
    return [_role(api, user, group) for group in groups]


def _role(api: GitLabApi, user: UserRecord, group: str) -> Check:
    area = f"group {group}"
    try:
        found = api.list(f"/groups/{encode(group)}/members/all", **{"user_ids[]": user.id})
    except NotFound:
        return Check(area, PROBLEM, "not found, or not visible to this token: its projects will fail")
    except GitLabError as exc:
        return Check(area, WARNING, f"role unknown ({exc.message})")
    level = max((int(m.get("access_level") or 0) for m in found if m.get("id") == user.id), default=0)
    if level == 0:
        return Check(area, WARNING, "not a member (project memberships and shares are not checked)")
    role = ROLES.get(level, f"access level {level}")
    if level < MAINTAINER:
        return Check(
            area, PROBLEM, f"{role}: most of what is managed needs Maintainer; its projects will fail"
        )
    return Check(area, OK, role)


# -- GraphQL, the instance, the network ------------------------------------------------------------
def check_graphql(api: GitLabApi, server: Version) -> Check:
    try:
        answer = api.graphql(_GRAPHQL_PROBE)
    except GitLabError as exc:
        answer = {"errors": [{"message": exc.message}]}
    data = (answer or {}).get("data") or {}
    if not data.get("currentUser"):
        errors = "; ".join(str(e.get("message")) for e in (answer or {}).get("errors") or ()) or "no data"
        return Check(
            "graphql",
            WARNING,
            f"unavailable ({errors}): every project is read over REST, about ten times the requests",
        )
    limit = (data.get("queryComplexity") or {}).get("limit")
    reads = []
    for read in graphql_batches.READS.values():
        missing = [
            (f, needs)
            for f, feature in read.gated.items()
            if (needs := gitlab_versions.needs(feature, server))
        ]
        reads.append(read.name + "".join(f" (without {f}: {needs})" for f, needs in missing))
    summary = f"available (complexity limit {limit}); read in bulk: {', '.join(reads)}"
    return Check("graphql", OK, summary)


def check_instance(api: GitLabApi, server: Version, user: UserRecord | None) -> list[Check]:
    """The instance settings the version table knows, where the token may read them (administrators)."""
    known = [
        n.removeprefix("setting:")
        for n in gitlab_versions.FEATURES
        if n.startswith("setting:") and gitlab_versions.available(n, server)
    ]
    if not known:
        return [
            Check("instance", NOTE, "none of the instance settings the tool knows of exist on this version")
        ]
    notes = tuple(f"{n}: {gitlab_versions.feature(f'setting:{n}').note}" for n in known)
    if user is None or not user.is_admin:
        summary = "settings not readable without administrator rights: " + ", ".join(known)
        return [Check("instance", NOTE, summary, notes)]
    try:
        values: Mapping[str, Any] = api.get("/application/settings")
    except GitLabError as exc:
        return [Check("instance", WARNING, f"settings unreadable ({exc.message})", notes)]
    shown = [f"{n}: {str(values[n]).lower()}" for n in known if n in values]
    return [Check("instance", NOTE, "; ".join(shown) or "none of the settings the tool knows of", notes)]


def check_latency(api: GitLabApi, samples: int) -> list[Check]:
    seconds: list[float] = []
    headers: Mapping[str, str] = {}
    for _ in range(max(1, samples)):
        _, headers, took = api.probe("/version")
        seconds.append(took)
    median, slowest = statistics.median(seconds) * 1000, max(seconds) * 1000
    status = WARNING if median > 500 else OK
    latency = Check(
        "latency", status, f"median {median:.0f} ms, slowest {slowest:.0f} ms ({len(seconds)} x GET /version)"
    )
    return [latency, _rate_limit(headers)]


def _rate_limit(headers: Mapping[str, str]) -> Check:
    found = {k.lower(): v for k, v in headers.items() if k.lower().startswith("ratelimit-")}
    if not found:
        return Check("rate limit", NOTE, "none announced (no RateLimit-* headers)")
    limit, remaining = found.get("ratelimit-limit"), found.get("ratelimit-remaining")
    name = found.get("ratelimit-name", "")
    summary = f"{name}: {remaining} of {limit} requests left in this window".lstrip(": ")
    low = limit is not None and remaining is not None and int(remaining) < int(limit) // 10
    return Check(
        "rate limit", WARNING if low else OK, summary, tuple(f"{k}: {v}" for k, v in sorted(found.items()))
    )


# -- the inventory -------------------------------------------------------------------------------------
def check_inventory(
    server: Version, facets: Sequence[Facet[Any]], inventory: LoadedInventory | None
) -> list[Check]:
    """Each inventory key this server cannot honour, with the targets that ask it."""
    if inventory is None:
        return [Check("inventory", NOTE, "none read: only the server and the token were checked")]
    asking: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for spec in inventory.targets:
        for facet in facets:
            if facet.kind is not spec.kind or not facet.wants(spec):
                continue
            for asked in facet.requirements(spec):
                needs = gitlab_versions.needs(asked.feature, server)
                if needs is not None and spec.name not in asking[(facet.name, asked.key, needs)]:
                    asking[(facet.name, asked.key, needs)].append(spec.name)
    if not asking:
        targets = len(inventory.targets)
        return [
            Check("inventory", OK, f"this server can honour every key of the inventory ({targets} targets)")
        ]
    return [
        Check(
            f"inventory {facet}",
            PROBLEM,
            f"{key}: {needs} ({len(names)} target{'s' * (len(names) != 1)}; runs say unsupported)",
            tuple(names[:EXAMPLES])
            + ((f"and {len(names) - EXAMPLES} more",) if len(names) > EXAMPLES else ()),
        )
        for (facet, key, needs), names in sorted(asking.items())
    ]
