"""Blueprints: manifests, rendering, file policies and three-way updates (no API calls here)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

BLUEPRINTS_DIR = Path(__file__).resolve().parent.parent.parent / "blueprints"


def check_vars(name: str, variables: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with a project's blueprint choice, as (field suffix, message); empty when fine.

    The inventory loader calls this during validation, so that an unknown blueprint or a missing or
    mistyped blueprint variable is an input error before the first API call.
    """
    if not (BLUEPRINTS_DIR / name).is_dir():
        return [("blueprint", f"unknown blueprint {name!r}")]
    return []
