"""Runners: the project's runner toggles, existing runners to assign, and runners the tool creates."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from provisioner.inventory.schema.base import TokenStore, _Model, _no_duplicates


class RunnerSelector(_Model):
    """An existing project runner to assign, by id, description or tags (all given must match)."""

    id: int | None = None
    description: str | None = None
    tags: list[str] | None = None

    @model_validator(mode="after")
    def _some(self) -> RunnerSelector:
        if self.id is None and self.description is None and not self.tags:
            raise ValueError("select a runner by id, description or tags")
        return self


class ProjectRunner(_Model):
    """A project runner the tool creates (POST /user/runners) and keeps in shape. Matched by description.

    Its one-time token goes to the keyring (service `provisioner-runner`, name `<project path>/<description>`)
    unless `token` names another place."""

    description: Annotated[str, Field(min_length=1)]
    tags: list[Annotated[str, Field(min_length=1)]] = []
    """Compared as a set: order and repetition do not matter."""
    run_untagged: bool = True
    locked: bool = False
    paused: bool = False
    access_level: Literal["not_protected", "ref_protected"] = "not_protected"
    maximum_timeout: Annotated[int, Field(ge=600)] | None = None
    """Seconds; at least 10 minutes. Left out: not managed."""
    maintenance_note: Annotated[str, Field(max_length=980)] | None = None
    """GitLab keeps 1,024 characters; the tool adds a line (44) that marks the runners it creates."""
    token: TokenStore = TokenStore()


class Runners(_Model):
    shared_runners_enabled: bool | None = None
    group_runners_enabled: bool | None = None
    assign: list[RunnerSelector] = []
    """Existing project runners to assign; each selector must match exactly one runner."""
    create: list[ProjectRunner] = []
    prune: bool = False
    """Unassign project runners the inventory does not select or create."""

    @model_validator(mode="after")
    def _unique_descriptions(self) -> Runners:
        _no_duplicates([r.description for r in self.create], "runner description")
        return self
