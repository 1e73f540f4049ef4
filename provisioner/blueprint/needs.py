"""What a blueprint's pipeline needs from other facets for its jobs to run at all.

A blueprint declares it in its manifest: `release_tags.protected` (the release jobs run only on protected
tags, so those tags must be protected) and `environments` (the publish jobs deploy to them, and whoever
may deploy there may publish). The facets that keep such things (protection, protected environments)
fulfil a project's needs unless the inventory says otherwise, and `validate` warns about a need that no
facet will fulfil (see `Unmet`). Pure: no API calls here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.blueprint.manifest import BLUEPRINTS_DIR, MANIFEST, blueprint_names, load_blueprint
from provisioner.blueprint.variables import holds, resolve_variables
from provisioner.errors import InputError


@dataclass(frozen=True)
class Needs:
    """A project's needs, by the blueprint it uses."""

    blueprint: str
    release_tags: str | None = None
    """The protected tag wildcard its release jobs need (python-package: v*)."""
    environments: tuple[str, ...] = ()
    """The environments its rendered jobs deploy to."""

    def __bool__(self) -> bool:
        return self.release_tags is not None or bool(self.environments)


@dataclass(frozen=True)
class Unmet:
    """A need the inventory leaves unmet, said where the inventory decides it."""

    path: tuple[str, ...]  # in the project's merged entry, e.g. ("protection", "release_tags")
    message: str


def declared_needs(name: str) -> Needs:
    """What the blueprint may need of any project: its release tags, and every environment it declares
    (whichever its variables turn on). Empty for a blueprint that cannot be loaded (the loader says why)."""
    try:
        manifest = load_blueprint(name, BLUEPRINTS_DIR).manifest
    except InputError:
        return Needs(name)
    tags = manifest.release_tags.protected if manifest.release_tags is not None else None
    return Needs(name, tags, tuple(manifest.environments))


def project_needs(name: str, variables: Mapping[str, Any], *, project_path: str | None = None) -> Needs:
    """What this project's rendering needs: the environments are those its variables turn on (each
    environment's `when`). Empty of environments while the variables cannot be resolved."""
    declared = declared_needs(name)
    if not declared.environments:
        return declared
    key = json.dumps(variables, sort_keys=True, default=str)
    return _environments_used(name, _manifest_stamp(name), key, project_path)


def _manifest_stamp(name: str) -> int:
    return (BLUEPRINTS_DIR / name / MANIFEST).stat().st_mtime_ns


@functools.lru_cache(maxsize=1024)
def _environments_used(name: str, stamp: int, variables: str, project_path: str | None) -> Needs:
    """Several facets ask for each project in a run: resolved once (`stamp`: the manifest as read)."""
    blueprint = load_blueprint(name, BLUEPRINTS_DIR)
    tags = blueprint.manifest.release_tags.protected if blueprint.manifest.release_tags else None
    resolution = resolve_variables(blueprint, json.loads(variables), project_path=project_path)
    if resolution.problems:
        return Needs(name, tags)
    environments = blueprint.manifest.environments
    used = tuple(env for env, rule in environments.items() if holds(rule.when, resolution.values))
    return Needs(name, tags, used)


def covers(wildcard: str, needed: str) -> bool:
    """Whether protecting tags matching `wildcard` protects every tag `needed` matches (both GitLab
    wildcards, `*` for any text): the same rule, or one whose literal prefix starts `needed`'s."""
    if wildcard == needed:
        return True
    prefix, star, rest = wildcard.partition("*")
    # A name without a wildcard, or one with text after it, cannot cover a whole family of tags.
    return bool(star) and not rest and needed.startswith(prefix)


def catalogue_needs() -> tuple[Needs, ...]:
    """What each blueprint of the catalogue may need (for `import`, which writes what a project has
    without knowing which blueprint a later inventory gives it)."""
    return tuple(declared_needs(name) for name in blueprint_names(BLUEPRINTS_DIR))
