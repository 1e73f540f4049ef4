"""May the token write to a target? Asked once, before the first write to it.

A target the token cannot fully manage is skipped whole, so that no facet writes while the others
cannot (issue 19: with a Developer token, the files facet committed and opened merge requests while
every other facet failed). What each facet needs is its declared `write_role`; what the token has is
its role on the target (`provisioner.gitlab.permissions`). Unknown (GitLab does not say): GitLab's
answers decide, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.facets.base import Facet
from provisioner.gitlab import permissions
from provisioner.gitlab.api import GitLabApi
from provisioner.inventory.spec import TargetSpec
from provisioner.model import Problem, ProblemKind, Role, TargetRef


def role_falls_short(
    api: GitLabApi, ref: TargetRef, spec: TargetSpec, facets: Sequence[Facet[Any]]
) -> Problem | None:
    """The problem that skips the target, or None when the token may write all it is asked to."""
    have = permissions.role_on(api, ref)
    if have is None:
        return None
    short: dict[Role, list[str]] = {}
    for facet in facets:
        if have < facet.write_role and facet.wants(spec):
            short.setdefault(Role(facet.write_role), []).append(facet.name)
    if not short:
        return None
    needs = "; ".join(
        f"{', '.join(names)} need {role.title} or higher" for role, names in sorted(short.items())
    )
    message = f"skipped, nothing written: the token has the {permissions.role_name(have)} role here; {needs}"
    return Problem(spec.name, None, message, ProblemKind.PERMISSION)
