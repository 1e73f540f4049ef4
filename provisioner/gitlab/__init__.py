"""Access to GitLab: the transport (the only python-gitlab import) and typed reads and writes per area."""

from provisioner.gitlab.transport import GitLabApi, encode

__all__ = ["GitLabApi", "encode"]
