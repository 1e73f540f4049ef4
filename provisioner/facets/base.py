"""The facet interface: one module per aspect of a target, all with the same small set of methods.

A facet is everything the tool knows about one aspect: which inventory section it reads (`section`,
validated by `schema`), whether a target's spec configures it (`wants`), how to read it (`observe`,
through the area modules of `provisioner.gitlab`), how it differs (`diff`, pure), how to write it
(`apply`), what it can read in bulk for many projects at once (`bulk_reads`, `lookups`), and how an
existing target is written back as inventory (`read_current` and `describe`, for `import`). The
engine and `import` call these in registry order and know no facet by name.

Every method beyond the core four has a default in `FacetDefaults`, as pre-commit's languages take
the helpers they do not override: a facet that reads nothing in bulk and cannot be imported is four
methods and three attributes.

An anchor (`Anchor`) is what finds, and maybe creates, the targets of one kind: without the target
there is nothing for its facets to observe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from provisioner import gitlab_versions
from provisioner.blueprint.needs import Needs, Unmet
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.graphql_reads import BulkReads
from provisioner.gitlab_versions import Version
from provisioner.inventory.schema import Sections
from provisioner.model import Action, Change, Role, TargetKind, TargetRef
from provisioner.secrets import Secret

ObservedT = TypeVar("ObservedT")
CurrentT = TypeVar("CurrentT")


@dataclass(frozen=True)
class PlanOptions:
    rotate: bool = False
    """Replace values that cannot be compared (hidden variables) and tokens whose scopes changed."""


@dataclass
class ApplyContext:
    """What `apply` may need beyond the changes: the options, and where relative token files live."""

    options: PlanOptions = field(default_factory=PlanOptions)
    inventory_dir: str = "."


@dataclass(frozen=True)
class Requirement:
    """What the inventory asks of a facet for one target that only some GitLab versions or editions
    can do: `feature` is its row in `provisioner.gitlab_versions`."""

    target: str  # in the plan's words: "variable DB_PASSWORD", "project setting build_timeout"
    key: str  # where the inventory asks it: "variables.DB_PASSWORD.hidden"
    feature: str


@dataclass(frozen=True)
class TargetAttributes:
    """The payload of a change that sets attributes of the target itself (a project's, written with
    `PUT /projects/:id`). The engine gathers every facet's and the target's anchor writes them in one
    request, before any facet applies the rest of its changes: those may rely on them (a registry's
    protection rules on the registry being enabled). `apply` is handed the other changes only;
    handed these too (called on its own), it writes them itself."""

    attributes: Mapping[str, Any]


def target_attributes(changes: Iterable[Change]) -> dict[str, Any]:
    """The attributes `changes` set of their target, merged in order."""
    merged: dict[str, Any] = {}
    for change in changes:
        if isinstance(change.payload, TargetAttributes):
            merged.update(change.payload.attributes)
    return merged


@dataclass(frozen=True)
class Lookups:
    """Paths whose ids a facet needs (job token allowlists name projects and groups): resolved once
    per run, before the workers all ask at once."""

    groups: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()


@dataclass
class Description:
    """What `import` writes of one facet for one target, and what it left out.

    `entry`: top-level inventory keys (normally the facet's section) to plain data, as a user writes
    it. `notes`: display-safe lines saying what could not be expressed. `comments`: a comment for the
    end of the line at a path in `entry` (list items by index), where the user has work to do.
    `private`: values that must never be written but decide whether equal entries may be shared by a
    group (masked variable values), by the entry's path, in memory only.
    """

    entry: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    comments: dict[tuple[str, ...], str] = field(default_factory=dict)
    private: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)


@runtime_checkable
class Facet(Protocol[ObservedT]):
    # Read-only in the protocol, so that a facet may declare them as plain class attributes.
    @property
    def name(self) -> str:
        """The facet's name in plans and reports."""

    @property
    def kind(self) -> TargetKind:
        """The kind of target it works on."""

    @property
    def section(self) -> str | None:
        """The inventory key that configures it. Its schema is `schema`; None: a plain field of the
        project's schema (the files facet's `blueprint`)."""

    @property
    def schema(self) -> type[BaseModel] | None: ...

    @property
    def write_role(self) -> Role:
        """The lowest role on a target with which `apply` can make every change this facet plans.
        A target the token's role falls short of for any facet its inventory configures is skipped
        whole, before anything is written to it (engine.worker)."""

    @property
    def writes_on_bulk_view(self) -> bool | frozenset[str]:
        """Which of what bulk reads (GraphQL) showed of this facet `apply` may write on, without reading
        it again over REST (engine.prefetch.Confirmed): True, all of it; False, none; or the reads by
        the run cache's name for them (the area modules' constants, `job_tokens.GROUPS`), the others
        being read again over REST when the facet finds drift. The rule, per read: only where (1) the
        bulk view shows everything the facet's writes depend on, as REST shows it, and (2) a write
        resting on a view gone stale since is refused by GitLab (nothing written; the run plans again
        or the next run converges) rather than doing damage. One exception, where GitLab refuses
        nothing even on a fresh REST read (a runner's create): the outcome on a stale view must be
        the one a REST read gone stale a moment later gives, bounded and found by the next run (one
        second runner, kept apart or reported; facets.runners). Each facet that says so cites where
        GitLab's source shows both; where the views differ (Premium grants GraphQL leaves out, fields
        the token may not see, a setting REST shows as enforced), that read is left out."""

    def wants(self, spec: Any) -> bool:
        """Whether the inventory configures this facet for the target at all."""

    def observe(self, api: GitLabApi, target: Any, spec: Any) -> ObservedT:
        """Read what the facet owns, normalised so that it compares with the spec."""

    def diff(self, spec: Any, observed: ObservedT, options: PlanOptions) -> list[Change]:
        """Pure: the changes that would make `observed` match `spec`."""

    def apply(self, api: GitLabApi, target: Any, changes: Sequence[Change], ctx: ApplyContext) -> None:
        """Write exactly `changes` (all of this facet), in order."""

    def bulk_reads(self, spec: Any) -> BulkReads:
        """What `observe` will take from bulk reads (GraphQL) for this project, if they ran."""

    def lookups(self, spec: Any) -> Lookups:
        """Paths whose ids `observe` will look up."""

    def secrets(self, spec: Any) -> Mapping[str, Secret]:
        """The secret values the facet's changes for this target carry, by field
        (`variables.PYPI_TOKEN [production]`): a saved plan keeps a keyed fingerprint of each, so that
        `apply --plan` refuses when one changed since (the plan holds references, not values)."""

    def read_current(self, api: GitLabApi, target: Any, notes: list[str]) -> Any:
        """`import`: what the target has of this facet. Raises a ProvisionerError when it cannot tell
        at all; a part it cannot read is left out with a note (see `describing.read_part`)."""

    def describe(self, target: Any, current: Any) -> Description:
        """`import`, pure: `current` in the inventory's words; a plan right after must be empty."""

    @property
    def features(self) -> tuple[str, ...]:
        """The rows of `provisioner.gitlab_versions` the facet may use (what a server's version means
        for it: `provisioner doctor`)."""

    def requirements(self, spec: Any) -> tuple[Requirement, ...]:
        """Pure: what the inventory asks of this facet for the target that not every GitLab can do.
        `observe` reads the server's version and `diff` reports what it lacks (`lacking`) instead of
        comparing or writing it."""

    def settle(self, described: Mapping[str, Description]) -> None:
        """`import`, pure: adjust its parts once every target of its kind is described (by name), where
        what one target's entry says depends on the others' (names that must differ between values)."""

    def unmet_needs(self, config: Any, needs: Needs) -> list[Unmet]:
        """Pure: what of its blueprint's needs a project with this (merged) entry leaves unmet, among
        those this facet fulfils (the protected release tags, the protected environments); `validate`
        warns about each."""


class FacetDefaults:
    """Defaults of the optional methods: nothing read in bulk, nothing looked up, nothing imported,
    nothing that only some GitLab versions have."""

    schema: type[BaseModel] | None = None
    features: tuple[str, ...] = ()
    writes_on_bulk_view: bool | frozenset[str] = False  # drift seen in bulk reads is read again over REST

    def requirements(self, spec: Any) -> tuple[Requirement, ...]:
        return ()

    def bulk_reads(self, spec: Any) -> BulkReads:
        return BulkReads()

    def lookups(self, spec: Any) -> Lookups:
        return Lookups()

    def secrets(self, spec: Any) -> Mapping[str, Secret]:
        return {}

    def read_current(self, api: GitLabApi, target: Any, notes: list[str]) -> Any:
        return None

    def describe(self, target: Any, current: Any) -> Description:
        return Description()

    def settle(self, described: Mapping[str, Description]) -> None:
        return None

    def unmet_needs(self, config: Any, needs: Needs) -> list[Unmet]:
        return []


@runtime_checkable
class Anchor(Protocol):
    """How the engine finds the targets of one kind, and creates one the inventory asks for."""

    kind: TargetKind

    def find(self, api: GitLabApi, spec: Any) -> TargetRef | None:
        """The target on GitLab, or None when it is missing or invisible to this token."""

    def creation(self, spec: Any) -> Change | None:
        """The change that creates the missing target; None when the inventory does not ask for it."""

    def create(self, api: GitLabApi, spec: Any) -> None:
        """Create the target, as `creation` said."""

    def update(self, api: GitLabApi, target: Any, attributes: Mapping[str, Any]) -> None:
        """Write attributes of the target itself, every facet's at once (see `TargetAttributes`)."""

    def missing(self, spec: Any) -> str:
        """Display-safe: why a missing target stops here, and what to do."""


def sections(facets: Sequence[Facet[Any]]) -> Sections:
    """The inventory sections the facets read, with their schemas: a project's, and a group's own; and
    how the project facets judge a project's blueprint needs (`Facet.unmet_needs`)."""

    def of(kind: TargetKind) -> dict[str, type[BaseModel]]:
        return {f.section: f.schema for f in facets if f.kind is kind and f.section and f.schema is not None}

    def unmet_needs(config: Any, needs: Needs) -> list[Unmet]:
        return [u for f in facets if f.kind is TargetKind.PROJECT for u in f.unmet_needs(config, needs)]

    return Sections(project=of(TargetKind.PROJECT), group=of(TargetKind.GROUP), unmet_needs=unmet_needs)


def unsupported(
    facet: str, target: str, feature: str, server: Version, key: str | None = None
) -> Change | None:
    """The finding for what the inventory asks of `feature` when this GitLab lacks it (see
    `provisioner.gitlab_versions`); None when the server has it. `key`: where the inventory asks it."""
    needs = gitlab_versions.needs(feature, server)
    if needs is None:
        return None
    after = {"needs": needs, "feature": feature} | ({"inventory": key} if key else {})
    if flag := gitlab_versions.flagged_off(feature, server):
        after["flag"] = f"{flag} (off by default on this version)"
    return Change(facet, target, Action.UNSUPPORTED, after=after)


def lacking(facet: str, asked: Iterable[Requirement], server: Version | None) -> tuple[Change, ...]:
    """The findings for what `asked` needs and this server lacks, one per target and inventory key
    (None: the server is not known, nothing is said)."""
    if server is None:
        return ()
    found = (unsupported(facet, r.target, r.feature, server, r.key) for r in asked)
    return tuple({(c.target, (c.after or {}).get("inventory")): c for c in found if c is not None}.values())


def unsupported_keys(asked: Iterable[Requirement], server: Version | None) -> frozenset[str]:
    """The inventory keys of `asked` this server cannot honour: left out of the comparison."""
    if server is None:
        return frozenset()
    return frozenset(r.key for r in asked if not gitlab_versions.available(r.feature, server))
