"""An enforced `.gitlab-ci.yml` is the project's pipeline only while `ci_config_path` points at it.

Pointing `ci_config_path` at another file (or another project's) bypasses the pipeline as surely as
replacing it, so while the pipeline is enforced that is drift of the files facet, which apply sets back.
When the inventory's settings name `ci_config_path`, the settings facet keeps it, and it must agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.blueprint import PIPELINE, Rendering
from provisioner.errors import ProvisionerError, Unobservable
from provisioner.gitlab import projects
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.permissions import require_maintainer
from provisioner.inventory.spec import ProjectSpec
from provisioner.model import Action, Change, ProjectRef

# What `ci_config_path` may say while `.gitlab-ci.yml` is the pipeline. Empty means the instance's default
# file: `.gitlab-ci.yml`, unless an administrator changed it, which a token without admin rights cannot
# see; so the tool writes the path itself when it sets it back.
POINTING_AT_PIPELINE = ("", PIPELINE)


@dataclass(frozen=True)
class PipelinePath:
    """The apply payload: set `ci_config_path` back to the pipeline."""


def watched_ci_config_path(project: ProjectRef, spec: ProjectSpec, rendering: Rendering) -> str | None:
    """The project's `ci_config_path` when an enforced pipeline depends on it; None when it does not."""
    if not any(r.path == PIPELINE and r.policy == "enforced" for r in rendering.files):
        return None
    owned = spec.config.settings.ci_config_path
    if owned is not None:
        if owned not in POINTING_AT_PIPELINE:
            raise ProvisionerError(
                f"settings.ci_config_path is {owned!r}, but the enforced pipeline is {PIPELINE}: "
                "drop the setting, or stop enforcing the pipeline (blueprint_enforce)"
            )
        return None
    if "ci_config_path" not in project.attributes:
        raise Unobservable(
            "cannot read ci_config_path, which the enforced pipeline depends on: "
            "GitLab shows it only to members who may read the code (check the token's role)"
        )
    return str(project.attributes["ci_config_path"] or "")


def ci_config_path_changes(facet: str, ci_config_path: str | None) -> list[Change]:
    if ci_config_path is None or ci_config_path in POINTING_AT_PIPELINE:
        return []
    return [
        Change(
            facet,
            "ci_config_path",
            Action.UPDATE,
            before={"ci_config_path": ci_config_path},
            after={"ci_config_path": PIPELINE, "reason": f"the enforced pipeline is {PIPELINE}"},
            payload=PipelinePath(),
        )
    ]


def restore_ci_config_path(api: GitLabApi, project: ProjectRef) -> None:
    require_maintainer(project)  # PUT /projects/:id needs admin_project; GitLab answers a bare 403
    projects.update(api, project.id, {"ci_config_path": PIPELINE})
