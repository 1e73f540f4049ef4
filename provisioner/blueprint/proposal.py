"""What a merge request of the files facet says: its title, and a description a reviewer can act on.

Pure text from a `FilesPlan`. Three reasons to propose rather than commit, each said in its own words:
the default branch takes no pushes from the tool; a file is the team's own and would be replaced
(adoption, a draft); a file needs a person (conflict markers, or a merge that failed its checks, a draft).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence

from provisioner.blueprint.checks import PIPELINE, pipeline_jobs
from provisioner.blueprint.diffs import unified_diff
from provisioner.blueprint.render import sha256_text
from provisioner.blueprint.update import FileAction, FileDecision, FilesPlan

DRAFT = "Draft: "
_DIFF_LIMIT = 20_000  # characters of a replaced file's diff shown inline; GitLab takes 1 MB of description


def proposal_id(decisions: Sequence[FileDecision]) -> str:
    """What a set of changes proposes, as a hash: equal for equal contents, whatever the order."""
    lines = sorted(f"{d.action.value} {d.path} {sha256_text(d.content or '')}" for d in decisions)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def title(plan: FilesPlan) -> str:
    if plan.conflicted:
        return f"{DRAFT}Apply blueprint {plan.blueprint} {plan.version} (conflicts to resolve)"
    if plan.needs_person:
        return f"{DRAFT}Apply blueprint {plan.blueprint} {plan.version} (a merged file to fix)"
    if plan.adopting:
        adopted = ", ".join(d.path for d in plan.changes if d.action is FileAction.ADOPT)
        return f"{DRAFT}Adopt blueprint {plan.blueprint} {plan.version} (replaces {adopted})"
    return f"Apply blueprint {plan.blueprint} {plan.version}"


def description(plan: FilesPlan, branch: str, currents: Mapping[str, str], marker: str) -> str:
    """`currents`: the files' texts on `branch` as read for the plan; `marker`: says what is proposed."""
    changes = plan.changes
    adopted = [d for d in changes if d.action is FileAction.ADOPT]
    broken = [d for d in changes if d.action.needs_person]
    if adopted:
        why = "these files are the project's own and are replaced only once a person agrees"
    elif broken:
        why = "some files need a person"
    else:
        why = f"`{branch}` does not take pushes from the tool's token"
    lines = [
        f"The blueprint **{plan.blueprint} {plan.version}** changes these files; proposed here because {why}.",
        "",
    ]
    for d in changes:
        lines.append(f"- {d.action.value} `{d.path}`: {d.reason}")
        if d.action is FileAction.ADOPT and d.path == PIPELINE:
            lines += _jobs(currents.get(d.path), d.content or "")
    lines.append("")
    if adopted:
        lines += _adoption(adopted, currents, branch)
    if broken:
        lines += _to_fix(broken, branch)
    lines += [
        "provisioner updates this merge request in place when what it proposes changes (another blueprint "
        f"version or variables, new edits on `{branch}`): it rebuilds this branch from `{branch}` only while "
        "the branch holds nothing but its own commit. Once someone pushes here, it leaves the branch "
        "alone, and says so, until this merge request is merged or the branch is deleted.",
        "",
        marker,
        "",
    ]
    return "\n".join(lines)


def _jobs(current: str | None, proposed: str) -> list[str]:
    """The jobs a replaced pipeline loses and gains, by name: what a reviewer looks for first."""
    before = pipeline_jobs(current) if current is not None else None
    after = pipeline_jobs(proposed)
    if before is None or after is None:
        return []
    gone = [j for j in before if j not in after]
    new = [j for j in after if j not in before]
    kept = [j for j in after if j in before]
    out = []
    for label, jobs in (
        ("jobs that go", gone),
        ("jobs that come", new),
        ("jobs replaced by the blueprint's", kept),
    ):
        if jobs:
            out.append(f"  - {label}: " + ", ".join(f"`{j}`" for j in jobs))
    return out


def _adoption(adopted: Sequence[FileDecision], currents: Mapping[str, str], branch: str) -> list[str]:
    lines = [
        "**Adoption.** Nothing changes on "
        f"`{branch}` until this draft is marked ready and merged. To keep something of the project's own "
        "(a job, a variable), add it to the file on this branch before merging: from then on, later "
        "blueprint versions are merged into the team's edits instead of replacing them.",
        "",
    ]
    for d in adopted:
        diff = unified_diff(d.path, currents.get(d.path), d.content)
        if len(diff) > _DIFF_LIMIT:
            diff = diff[:_DIFF_LIMIT] + "\n... (cut here: see the merge request's changes)\n"
        longest = max((len(run) for run in re.findall("`+", diff)), default=0)
        fence = "`" * max(3, longest + 1)  # longer than any run in the team's text: it cannot close it
        summary = f"<details><summary>What replaces <code>{html.escape(d.path)}</code></summary>"
        lines += [summary, "", f"{fence}diff", diff.rstrip("\n"), fence, "", "</details>", ""]
    return lines


def _to_fix(broken: Sequence[FileDecision], branch: str) -> list[str]:
    lines = []
    conflicted = [d.path for d in broken if d.action is FileAction.CONFLICT]
    if conflicted:
        lines += [
            "These files hold conflict markers (`<<<<<<< blueprint` ... `>>>>>>> current`) where the "
            "blueprint's changes meet the team's edits: resolve them on this branch, mark the merge request "
            f"ready, and merge it into `{branch}`: " + ", ".join(f"`{p}`" for p in conflicted),
            "",
        ]
    invalid = [d for d in broken if d.action is FileAction.INVALID]
    if invalid:
        lines += [
            "These files merged without conflicts but failed their checks (YAML without duplicate keys and "
            "valid for GitLab CI, TOML that parses): fix them on this branch, mark the merge request ready, "
            f"and merge it into `{branch}`.",
            "",
            *(f"- `{d.path}`: {d.reason}" for d in invalid),
            "",
        ]
    return lines
