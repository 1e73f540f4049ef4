"""A stateful GitLab REST API v4 simulator: the server behind the demo, the tests and the benchmarks.

Public surface: `SandboxServer` (in-process, ephemeral port), `create_app`, `SandboxOptions`, `State`,
and `provisioner sandbox serve` on the command line.
"""

from __future__ import annotations

from provisioner.sandbox.app import SandboxApp, create_app
from provisioner.sandbox.options import SandboxOptions
from provisioner.sandbox.server import SandboxServer
from provisioner.sandbox.state import State

__all__ = ["SandboxApp", "SandboxOptions", "SandboxServer", "State", "create_app"]
