"""Access to GitLab: the transport (the only python-gitlab import), the run's reads, and typed reads and
writes per area."""

from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.transport import encode

__all__ = ["GitLabApi", "encode"]
