"""Which projects live under the inventory's groups without the inventory listing them.

Each top-most group of the inventory is listed once (its projects at any depth, archived ones left
out: they cannot be changed). A project the inventory does not list is either covered (a coverage rule
of one of its groups manages it, and the run adds it as a target) or not covered: a finding of its own
for `check` (drift, nothing to write), unless the inventory says `uncovered: ignore` or a rule's
`exclude` names it. The listing also fills the run cache with the entities, so the projects it finds
cost no further read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from provisioner.gitlab import groups
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import CoverageRule, LoadedInventory
from provisioner.model import Action, Change, Problem, ProblemKind, ProjectResult

FINDING = "coverage"
"""The name under which reports show a project that is not covered (JUnit: one failing case each)."""


@dataclass(frozen=True)
class Found:
    covered: tuple[str, ...] = ()  # brought by a coverage rule: targets of the run
    uncovered: tuple[str, ...] = ()  # under a group of the inventory, managed by nothing
    unseen: tuple[str, ...] = ()  # groups of the inventory this token cannot see
    blind: tuple[str, ...] = ()  # of those, the ones a coverage rule names: what they hold is unknown


def discover(api: GitLabApi, inventory: LoadedInventory) -> Found:
    reporting = inventory.uncovered == "report"
    named = inventory.groups_named if reporting else tuple(r.group for r in inventory.coverage)
    covered: list[str] = []
    uncovered: list[str] = []
    unseen: list[str] = []
    for group in topmost(named):
        ref = groups.find_ref(api, group)
        if ref is None:
            unseen.append(group)
            continue
        for entity in groups.projects(api, ref.id):
            path = str(entity["path_with_namespace"])
            if path.lower() in inventory.listed:
                continue
            rule = rule_for(path, inventory.coverage)
            if rule is not None and not _excluded(path, rule.exclude):
                covered.append(path)
            elif reporting and not any(_excluded(path, r.exclude) for r in inventory.coverage):
                uncovered.append(path)
    blind = [r.group for r in inventory.coverage if any(_within(r.group, group) for group in unseen)]
    return Found(tuple(sorted(covered)), tuple(sorted(uncovered)), tuple(unseen), tuple(sorted(blind)))


def topmost(paths: Iterable[str]) -> list[str]:
    """The groups not below another of `paths` (listing one includes its subgroups)."""
    chosen = sorted({p.lower(): p for p in paths}.values(), key=lambda p: p.count("/"))
    out: list[str] = []
    for path in chosen:
        if not any(path.lower().startswith(f"{top.lower()}/") for top in out):
            out.append(path)
    return out


def rule_for(path: str, rules: Sequence[CoverageRule]) -> CoverageRule | None:
    """The rule of the deepest group that holds `path`."""
    holding = [r for r in rules if path.lower().startswith(f"{r.group.lower()}/")]
    return max(holding, key=lambda r: r.group.count("/"), default=None)


def _within(path: str, group: str) -> bool:
    """`path` is `group` or lies under it (full paths are case-insensitive)."""
    return path.lower() == group.lower() or path.lower().startswith(f"{group.lower()}/")


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(path.lower(), p.lower()) for p in patterns)


def not_covered(path: str) -> ProjectResult:
    """The finding for a project the inventory does not manage although it lives under its groups."""
    note = (
        "under a group of the inventory, but neither listed nor covered: add it (or a coverage rule "
        "for its group), or exclude it"
    )
    change = Change(FINDING, f"project {path}", Action.UNCOVERED, after={"note": note})
    return ProjectResult(path, planned=(change,), facets=(FINDING,))


def not_seen(group: str) -> ProjectResult:
    """A coverage rule whose group this token cannot see covers nothing: a failure of the run, not a
    warning, or the nightly check would pass over a whole group without a word."""
    target = f"group {group}"
    message = (
        "its coverage rule covers nothing: the group does not exist or this token cannot see it "
        "(a member with at least the Reporter role can)"
    )
    problem = Problem(target, FINDING, message, ProblemKind.NOT_FOUND)
    return ProjectResult(target, problems=(problem,), facets=(FINDING,))
