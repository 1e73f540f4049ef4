"""Helpers for the onboarding facets' sandbox tests: specs with the facets' own sections, and the
CLI run in a folder against the shared sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.facets import inventory_sections
from provisioner.inventory.schema import group_own_model, project_model
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.secrets import Secret
from tests.facets.sandbox_world import World


def project(path: str, secrets: dict[tuple[str, ...], Secret] | None = None, **sections: Any) -> ProjectSpec:
    config = project_model(inventory_sections())(**sections)
    return ProjectSpec(path, config, secrets=secrets or {})


def group(path: str, **sections: Any) -> GroupSpec:
    return GroupSpec(path, config=group_own_model(inventory_sections())(**sections))


def new_user(world: World, username: str) -> int:
    user = world.request(
        "POST", "/users", json={"username": username, "name": username, "email": f"{username}@x.test"}
    )
    return int(user["id"])


def token_for(world: World, user_id: int) -> str:
    made = world.request(
        "POST", f"/users/{user_id}/personal_access_tokens", json={"name": "t", "scopes": ["api"]}
    )
    return str(made["token"])


def routes(world: World) -> dict[str, int]:
    return dict(world.counters()["by_route"])


INVENTORY_COMMANDS = frozenset({"plan", "apply", "check", "validate"})


class Cli:
    """`provisioner ...` in `folder` against the world's sandbox, as a user runs it."""

    def __init__(self, world: World, folder: Path, token: str | None = None, **env: str) -> None:
        self.folder = folder
        self.env = {
            "PROVISIONER_GITLAB_URL": world.url,
            "PROVISIONER_TOKEN": token or world.token,
            "PROVISIONER_LOG_FILE": str(folder / "provisioner.log"),
            **env,
        }

    def __call__(self, *args: str) -> Any:
        extra = ["--inventory", str(self.folder / "inventory.yaml")] if args[0] in INVENTORY_COMMANDS else []
        return CliRunner().invoke(app, [*args, *extra], env=self.env)

    def imported(self, group: str) -> str:
        out = self.folder / "imported.yaml"
        result = self("import", group, "--out", str(out))
        assert result.exit_code == 0, result.output
        return out.read_text()

    def write(self, text: str) -> None:
        (self.folder / "inventory.yaml").write_text(text)
