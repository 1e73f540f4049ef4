"""Interner: equal frozen values are one object; unequal ones, and what may change, stay apart."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from provisioner.interning import Interner


class _Loose(BaseModel):  # not frozen: may be changed, so never merged with another
    value: int | bool = 0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: int | bool = 0
    items: list[Any] = []


def test_equal_values_are_one_object_and_unequal_ones_stay_apart() -> None:
    shared = Interner()
    first = shared.value(_Frozen(value=1, items=[1, "a", {"k": [2]}]))
    assert shared.value(_Frozen(value=1, items=[1, "a", {"k": [2]}])) is first
    assert shared.value([1, "a", {"k": [2]}]) is first.items
    # 1 == True, [] == (), a field given or left to its default: each still a value of its own
    assert shared.value(_Frozen(value=True, items=[1, "a", {"k": [2]}])) is not first
    assert shared.value(_Frozen(value=1, items=[True, "a", {"k": [2]}])) is not first
    assert shared.value((1, "a", {"k": [2]})) is not first.items
    assert shared.value(_Frozen()) is not shared.value(_Frozen(value=0))
    assert shared.value(_Frozen(value=0)).model_fields_set == {"value"}
    loose = _Loose(value=1)
    assert shared.value(loose) is loose and shared.value(_Loose(value=1)) is not loose


class _Inner(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str


class _Outer(BaseModel):
    model_config = ConfigDict(frozen=True)
    inner: _Inner = _Inner(name="".join(["de", "fault"]))  # hashable: pydantic hands out this very one


def test_a_fields_default_instance_is_never_changed() -> None:
    """A model whose children are replaced by shared ones is copied, never changed in place: it may
    be the default instance every model that leaves the field out holds."""
    default = _Outer.model_fields["inner"].default
    name = default.name
    shared = Interner()
    first = shared.value("default")  # met first: the one every equal text becomes
    outer = shared.value(_Outer())
    assert outer.inner.name is first and outer.inner == default
    assert default.name is name and name is not first
