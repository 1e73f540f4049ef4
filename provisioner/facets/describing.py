"""Helpers the facets share to write what GitLab has in the inventory's words (`import`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from provisioner.errors import NotFound, ProvisionerError

T = TypeVar("T")


def fits(model: type[BaseModel], data: Mapping[str, Any], where: str, notes: list[str]) -> bool:
    """Whether the inventory can express `data`; when not, a note says what is left unmanaged."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in data.items())
        notes.append(
            f"{where}: GitLab has {shown}, which the inventory cannot express ({first_error(exc)}); unmanaged"
        )
        return False
    return True


def first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return str(error.get("msg", "invalid"))


def explicit(model: BaseModel) -> dict[str, Any]:
    """All fields set: mappings whose presence means something keep their meaning when shared."""
    return model.model_dump(mode="json", exclude_none=True)


FAILED = "not read"
"""In a note: something could not be read for a reason other than the feature missing (the import
is then partial)."""


def read_part(notes: list[str], what: str, read: Callable[[], T]) -> T | None:
    """One part of what a facet imports: a part GitLab refuses or lacks is left out with a note."""
    try:
        return read()
    except NotFound:
        notes.append(f"{what}: not found (this GitLab may not have the feature); left unmanaged")
    except ProvisionerError as exc:
        notes.append(f"{what}: {FAILED} ({exc}); left unmanaged")
    return None
