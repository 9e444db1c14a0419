"""COPY text built column by column (``copy_text``) equals the row-by-row ``copy_line`` for every kind of column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from db.copytext import copy_line, copy_text

UTC = dt.UTC
COLUMNS: dict[str, list[Any]] = {
    "ints": [1, 22, -3],
    "ints-and-null": [1, None, 3],
    "nulls": [None, None, None],
    "plain-text": ["Иванов", "a b", ""],
    "text-to-escape": ["tab\there", "back\\slash", "line\nbreak\r"],
    "text-and-null": ["x", None, "y\tz"],
    "booleans": [True, False, True],
    "decimals": [Decimal("4"), Decimal("4.50"), Decimal("-0.1")],
    "floats": [0.5, 1e20, -2.0],
    "dates": [dt.date(2024, 9, 1), dt.date(1999, 12, 31), dt.date(2025, 1, 1)],
    "datetimes": [dt.datetime(2025, 6, 1, 10, 0, tzinfo=UTC), dt.datetime(2025, 6, 1, 10, 0, 1, 5, tzinfo=UTC),
                  dt.datetime(2025, 6, 2)],
    "mixed": [1, "1", Decimal("1")],
}


@pytest.mark.parametrize("name", COLUMNS)
def test_column_alone_and_among_others(name: str) -> None:
    values = COLUMNS[name]
    alone = [(value,) for value in values]
    assert copy_text(alone) == "".join(copy_line(row) for row in alone)
    wide = [tuple(column[i] for column in COLUMNS.values()) for i in range(3)]
    assert copy_text(wide) == "".join(copy_line(row) for row in wide)


def test_nothing_and_ragged_rows() -> None:
    assert copy_text([]) == ""
    with pytest.raises(ValueError, match="zip"):
        copy_text([(1, 2), (3,)])


def test_rows_as_lists_and_text_like_a_format() -> None:
    """Rows may be any sequences; a ``%`` in a value is text like any other."""
    rows = [[1, "50%", Decimal("4.5")], [2, "%s", Decimal("3")]]
    assert copy_text(rows) == "".join(copy_line(row) for row in rows) == "1\t50%\t4.5\n2\t%s\t3\n"
    with_null = [[1, None], [2, "x"]]
    assert copy_text(with_null) == "".join(copy_line(row) for row in with_null) == "1\t\\N\n2\tx\n"


def test_repeated_dates_and_moments_read_as_each_value() -> None:
    """Dates and one repeated moment are formatted once; equal moments in other time zones keep their own text."""
    moment = dt.datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    elsewhere = moment.astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert moment == elsewhere and moment.isoformat() != elsewhere.isoformat()
    rows = [(moment, dt.date(2024, 9, 1)), (moment, dt.date(2024, 9, 1)), (moment, dt.date(2025, 1, 9))]
    assert copy_text(rows) == "".join(copy_line(row) for row in rows)
    zones = [(moment,), (elsewhere,), (moment,)]
    assert copy_text(zones) == "".join(copy_line(row) for row in zones)
    assert copy_text(zones).splitlines()[1] == "2025-06-01T13:00:00+03:00"
