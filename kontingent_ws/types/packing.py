"""Packing use-case results (frozen dataclasses) into the ComplexModels of a contract.

The wire names of the registry contracts are the CamelCase of the result's field names
(``education_level_name`` ↔ ``EducationLevelName``), so one function packs every answer; a wire
field without its attribute is a programming error and raises ``AttributeError`` at once.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from spyne import Array
from spyne.model.complex import ComplexModelBase

M = TypeVar("M", bound=ComplexModelBase)

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def attribute_of(wire_name: str) -> str:
    """``EducationLevelName`` → ``education_level_name``."""
    return _WORD_START.sub("_", wire_name).lower()


def pack(model: type[M], value: object) -> M:
    """``model`` filled from the attributes of ``value``, nested models and lists included."""
    fields = {name: _packed(kind, getattr(value, attribute_of(name))) for name, kind in model._type_info.items()}
    return model(**fields)


def pack_list(model: type[M], values: list[Any]) -> list[M]:
    return [pack(model, value) for value in values]


def _packed(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, type) and issubclass(kind, Array):
        (item,) = cast(Any, kind)._type_info.values()
        return [_packed(item, element) for element in value]
    if isinstance(kind, type) and issubclass(kind, ComplexModelBase):
        return pack(kind, value)
    return value
