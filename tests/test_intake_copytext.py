"""COPY text built column by column (``copy_text``) equals the row-by-row ``copy_line`` for every kind of column;
``array_literal`` reads back on PostgreSQL as the list the driver would have sent."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.copytext import array_literal, copy_line, copy_text
from db.engine import make_engine

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


# -- generated columns: the column path (``copy_text``) equals the row path (``copy_line``) --

_TEXTS = st.text(alphabet=st.sampled_from(list("aZ09 Ёё%\\\t\n\r\"{},")), max_size=6)
_VALUES = st.one_of(
    st.none(), _TEXTS, st.integers(-(2**40), 2**40), st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.dates(), st.datetimes(timezones=st.sampled_from([None, UTC])),
)
_COLUMN = st.one_of(
    st.lists(_TEXTS, min_size=1, max_size=8),
    st.lists(st.one_of(st.none(), _TEXTS), min_size=1, max_size=8),
    st.lists(st.dates(), min_size=1, max_size=8),
    st.lists(_VALUES, min_size=1, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_COLUMN, min_size=1, max_size=5))
def test_copy_text_equals_copy_line_on_generated_columns(columns: list[list[Any]]) -> None:
    height = min(map(len, columns))
    rows = [tuple(column[i] for column in columns) for i in range(height)]
    assert copy_text(rows) == "".join(copy_line(row) for row in rows)


@pytest.mark.parametrize("text", ["plain", "", "tab\t", "back\\slash", "new\nline", "carriage\rreturn", "Ёж"])
def test_a_text_column_is_escaped_exactly_when_it_needs_to_be(text: str) -> None:
    rows = [("x",), (text,), ("y",)]
    escaped = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    assert copy_text(rows) == f"x\n{escaped}\ny\n"


# -- array_literal: one text parameter read by PostgreSQL as the list it stands for --

def test_array_literal_forms() -> None:
    assert array_literal([]) == "{}"
    assert array_literal([3, 1, -2]) == "{3,1,-2}"
    assert array_literal([Decimal("4.50"), 7]) == "{4.50,7}"
    assert array_literal([dt.date(2012, 1, 1), dt.date(999, 12, 31)]) == "{2012-01-01,0999-12-31}"
    assert array_literal(["ИВАНОВ", "", "NULL", "a,b {c}"]) == '{"ИВАНОВ","","NULL","a,b {c}"}'
    assert array_literal(['say "hi"', "back\\slash", None]) == '{"say \\"hi\\"","back\\\\slash",NULL}'
    assert array_literal([None, dt.date(2020, 2, 29)]) == '{NULL,"2020-02-29"}'
    assert array_literal([True, None, False]) == "{true,NULL,false}"


def _generated(kind: str, count: int, seed: int) -> list[Any]:
    """Values of ``kind`` with every character array text treats specially, NULLs among them."""
    rng = random.Random(seed)
    alphabet = [*'aZ09 Ёё%\\\t\n\r"{},;\'', "NULL", "null", " "]
    values: list[Any] = []
    for _ in range(count):
        if rng.random() < 0.1:
            values.append(None)
        elif kind == "text":
            values.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 7))))
        elif kind == "date":
            values.append(dt.date(1, 1, 1) + dt.timedelta(days=rng.randrange(3_650_000)))
        elif kind == "boolean":
            values.append(rng.random() < 0.5)
        elif kind == "bigint":
            values.append(rng.randrange(-(2**62), 2**62))
        else:
            values.append(Decimal(rng.randrange(-10**6, 10**6)).scaleb(-2))
    return values


@pytest.mark.parametrize("kind", ["text", "date", "bigint", "numeric", "boolean"])
@pytest.mark.parametrize("nulls", [True, False])
def test_array_literal_reads_back_as_the_list_on_postgresql(postgresql_url: str, kind: str, nulls: bool) -> None:
    """Also into a text array: each element the text the driver's own adaptation casts to."""
    engine = make_engine(postgresql_url)
    try:
        with engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            for seed in range(20):
                values = [v for v in _generated(kind, 200, seed) if nulls or v is not None]
                clean = [v for v in values if not isinstance(v, str) or ("\\" not in v and '"' not in v)]
                for sample in (values, clean, values[:1], []):
                    cursor.execute(f"SELECT CAST(%s AS {kind}[]), CAST(%s AS {kind}[])",
                                   (array_literal(sample), list(sample)))
                    literal, adapted = cursor.fetchone()
                    assert literal == adapted == sample
                    cursor.execute("SELECT CAST(%s AS text[]), CAST(%s AS text[])",
                                   (array_literal(sample), list(sample)))
                    as_text, adapted_as_text = cursor.fetchone()
                    assert as_text == adapted_as_text
    finally:
        engine.dispose()
