"""One copy of each equal frozen value: what ten thousand projects have alike is held once.

Ten thousand projects that inherit the same settings, variables and rules validate into ten thousand
equal copies of them, and a plan of them finds ten thousand equal changes (the same setting to
write, the same file to create). All of it is frozen, so every project can hold the same one. Once
its children are shared, a value is equal to another exactly when it has the same type and the same
children: it is recognised by the identities of its children (scalars by type and value, so that `1`
and `True` stay apart), without a dump of it being made or held.

What is not known to be immutable is never merged with another value: a model or dataclass that is
not frozen, an object of a type this module does not know, a float (`-0.0 == 0.0`). Lists and dicts
inside frozen values are shared like them (nothing mutates a loaded spec or a finished result).
A `Secret` (or an `Unresolved` one) is recognised by identity: the resolver hands out one per
reference. This module imports nothing of the package: the loader and the engine both use it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Hashable, Iterable
from datetime import date, datetime, time
from enum import Enum
from types import MappingProxyType
from typing import Any, TypeVar, cast

from pydantic import BaseModel

V = TypeVar("V")
_SCALARS = (str, int, bytes, type(None), date, datetime, time, Enum)  # bool is an int


class Interner:
    """Hands back, for each value given, the first equal value it was given (see the module)."""

    def __init__(self) -> None:
        # the hash of a value's signature -> the first value with it; an unequal value whose
        # signature hashes the same (a collision) is kept as it is, never merged
        self._seen: dict[int, Any] = {}
        self._strings: dict[str, str] = {}
        self._hashable: dict[Hashable, Any] = {}  # frozensets, the models' field-name sets

    def value(self, value: V) -> V:
        """`value` with its children shared, or an equal value met before."""
        if isinstance(value, BaseModel):
            return cast(V, self._model(value))
        kind = type(value)
        if kind is str:
            return cast(V, self._strings.setdefault(cast(str, value), cast(str, value)))
        if kind is list or kind is tuple:
            items = [self.value(item) for item in cast(list[Any], value)]
            return self._once(cast(V, items if kind is list else tuple(items)))
        if kind is dict or kind is MappingProxyType:
            pairs = {self.value(k): self.value(v) for k, v in cast(dict[Any, Any], value).items()}
            return self._once(cast(V, pairs if kind is dict else MappingProxyType(pairs)))
        if kind is frozenset:
            return cast(V, self._hashable.setdefault(value, value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return cast(V, self._dataclass(value))
        return value  # other scalars are small (and often cached by Python)

    def _dataclass(self, value: Any) -> Any:
        if not type(value).__dataclass_params__.frozen:
            return value
        names = [field.name for field in dataclasses.fields(value)]
        values = {name: self.value(getattr(value, name)) for name in names}
        found = self._found((cast(Hashable, type(value)), *map(_key, values.values())))
        if found is not None:
            return found
        changed = {name: new for name, new in values.items() if new is not getattr(value, name)}
        if changed:
            value = copy.copy(value)
            for name, new in changed.items():
                object.__setattr__(value, name, new)
        return self._once(value)

    def _model(self, model: BaseModel) -> BaseModel:
        if not model.model_config.get("frozen") or model.__pydantic_extra__ or model.__pydantic_private__:
            return model
        names = type(model).model_fields
        values = {name: self.value(getattr(model, name)) for name in names}
        fields_set = frozenset(model.model_fields_set)
        found = self._found(_model_signature(type(model), fields_set, values.values()))
        if found is not None:
            return cast(BaseModel, found)
        if any(values[name] is not getattr(model, name) for name in names):
            # a copy, never the model itself: a field's default instance is every model's
            model = model.model_copy()
            model.__dict__.update(values)
        # every model of a type with the same fields given holds one set of their names
        shared = self._hashable.setdefault((set, fields_set), set(fields_set))
        object.__setattr__(model, "__pydantic_fields_set__", shared)
        return self._once(model)

    def _found(self, signature: tuple[Hashable, ...]) -> Any:
        found = self._seen.get(hash(signature))
        return found if found is not None and _signature(found) == signature else None

    def _once(self, value: V) -> V:
        signature = _signature(value)
        found = self._seen.setdefault(hash(signature), value)
        return cast(V, found) if found is value or _signature(found) == signature else value


def _signature(value: Any) -> tuple[Hashable, ...]:
    """What tells `value` apart from any other value once its children are shared."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return _model_signature(type(value), value.model_fields_set, (getattr(value, f) for f in fields))
    if dataclasses.is_dataclass(value):
        return (
            cast(Hashable, type(value)),
            *(_key(getattr(value, field.name)) for field in dataclasses.fields(value)),
        )
    if isinstance(value, dict | MappingProxyType):
        return (type(value), *(_key(x) for pair in value.items() for x in pair))
    return (type(value), *map(_key, value))


def _model_signature(kind: type, fields_set: Iterable[str], values: Iterable[Any]) -> tuple[Hashable, ...]:
    return (kind, frozenset(fields_set), *map(_key, values))


def _key(value: Any) -> Hashable:
    if isinstance(value, _SCALARS):
        return (type(value), value)
    return id(value)  # shared already (or a Secret: one per reference), or equal only to itself
