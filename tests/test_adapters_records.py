"""Records are made by a generated ``__init__`` (``records._direct_init``) that must give exactly what
the ``__init__`` of ``dataclass`` gives: the same fields, defaults and errors, still frozen."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from adapters.records import DATACLASS_INITS, MarkValue, PersonRecord


def _values(cls: type, *, required_only: bool) -> dict[str, Any]:
    return {
        item.name: object()
        for item in dataclasses.fields(cls)
        if not required_only or item.default is dataclasses.MISSING
    }


@pytest.mark.parametrize("cls", list(DATACLASS_INITS), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("required_only", [False, True], ids=["every-field", "defaults"])
def test_direct_init_equals_dataclass_init(cls: type, required_only: bool) -> None:
    values = _values(cls, required_only=required_only)
    expected = object.__new__(cls)
    DATACLASS_INITS[cls](expected, **values)
    made = cls(**values)
    assert vars(made) == vars(expected)
    assert list(vars(made)) == [item.name for item in dataclasses.fields(cls)]
    assert made == expected
    assert repr(made) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.anything = 1  # type: ignore[attr-defined]


def test_every_dataclass_of_records_is_covered() -> None:
    import adapters.records as records

    classes = {
        value for value in vars(records).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == records.__name__
    }
    assert classes == set(DATACLASS_INITS)


def test_direct_init_refuses_what_dataclass_refuses() -> None:
    with pytest.raises(TypeError, match="first_name"):
        PersonRecord(last_name="Иванов")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        PersonRecord("Иванов", "Иван")  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword"):
        MarkValue(scale="five_point", value="5", numeric=None, extra=1)  # type: ignore[call-arg]


def test_records_hash_as_before() -> None:
    mark = MarkValue(scale="five_point", value="5", numeric=None)
    assert hash(mark) == hash(("five_point", "5", None))
    assert {mark: 1}[MarkValue(scale="five_point", value="5", numeric=None)] == 1
