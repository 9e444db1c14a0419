"""Records are made by a generated ``__init__`` (``records.direct_init``) that must give exactly what
the ``__init__`` of ``dataclass`` gives: the same fields, defaults and errors, still frozen; a load
lets the garbage collector run rarely and gives the setting back."""

from __future__ import annotations

import dataclasses
import gc
from typing import Any

import pytest

import kontingent_ws.usecases.intake.apply_people
import kontingent_ws.usecases.intake.matching
from adapters.records import DATACLASS_INITS, LOAD_GC_THRESHOLD, MarkValue, PersonRecord, few_collections

USERS = (kontingent_ws.usecases.intake.matching, kontingent_ws.usecases.intake.apply_people)
"""Modules whose own frozen dataclasses take ``direct_init`` too (imported here, so that they are among the cases)."""


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
    names = [item.name for item in dataclasses.fields(cls)]
    assert [getattr(made, name) for name in names] == [getattr(expected, name) for name in names]
    assert [getattr(made, name) for name in names] == [values.get(name, getattr(expected, name)) for name in names]
    assert not hasattr(made, "__dict__")
    assert made == expected
    assert repr(made) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, names[0], values.get(names[0]))


def test_every_dataclass_of_records_is_covered() -> None:
    import adapters.records as records

    classes = {
        value for value in vars(records).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == records.__name__
    }
    assert classes <= set(DATACLASS_INITS)
    users = {cls for cls in DATACLASS_INITS if cls.__module__ != records.__name__}
    assert {cls.__name__ for cls in users} == {"NameKey", "Known", "Match", "PersonItem"}
    assert {cls.__module__ for cls in users} == {module.__name__ for module in USERS}


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


def test_few_collections_raises_the_threshold_and_the_last_one_out_restores_it() -> None:
    before = gc.get_threshold()
    with few_collections():
        assert gc.get_threshold()[0] == max(LOAD_GC_THRESHOLD, before[0])
        assert gc.get_threshold()[1:] == before[1:]
        with few_collections():
            assert gc.get_threshold()[0] == max(LOAD_GC_THRESHOLD, before[0])
        assert gc.get_threshold()[0] == max(LOAD_GC_THRESHOLD, before[0])  # the outer load is still on
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), few_collections():
        raise RuntimeError
    assert gc.get_threshold() == before
