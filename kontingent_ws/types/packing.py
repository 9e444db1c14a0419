"""Use-case results (frozen dataclasses) as the answers of a contract.

The wire names of the registry contracts are the CamelCase of the result's field names
(``education_level_name`` ↔ ``EducationLevelName``). The answer writer
(:mod:`kontingent_ws.answer_xml`) reads a result by those snake-case names while it writes the
model's elements, so a result is answered as it is: no Spyne model instances are built (building
them cost more than writing the XML). A wire field without its attribute is a programming error
and raises ``AttributeError`` when the answer is written. ``tests/test_answer_xml.py`` checks that
every operation of the contracts answering this way is written by the answer writer.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from spyne.model.complex import ComplexModelBase

M = TypeVar("M", bound=ComplexModelBase)

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def attribute_of(wire_name: str) -> str:
    """``EducationLevelName`` → ``education_level_name``."""
    return _WORD_START.sub("_", wire_name).lower()


def pack(model: type[M], value: object) -> M:
    """``value`` as the answer of ``model`` (the answer writer reads its snake-case attributes)."""
    return cast(M, value)


def pack_list(model: type[M], values: list[Any]) -> list[M]:
    """``values`` as a list of ``model`` answers."""
    return cast(list[M], values)
