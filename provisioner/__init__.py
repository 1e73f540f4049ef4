"""provisioner: keep many GitLab projects set up the same way, idempotently."""

__version__ = "0.1.0"
