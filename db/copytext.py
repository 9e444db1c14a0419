"""PostgreSQL's COPY text format: one row a line, values separated by tabs, ``\\N`` for NULL,
backslash, tab, newline and carriage return escaped. Used by every bulk writer (intake, the change
feed, the demo generator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _needs_escape(text: str) -> bool:
    """Whether ``text`` holds a character COPY escapes (four searches for one character each: several
    times faster than one search of a character class)."""
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text


def _text(value: str) -> str:
    return value.translate(ESCAPES)


def _boolean(value: bool) -> str:
    return "t" if value else "f"


def _iso(value: dt.date) -> str:
    return value.isoformat()


_FORMATS: dict[type, Callable[[Any], str]] = {
    str: _text, int: str, bool: _boolean, Decimal: str, float: repr, dt.date: _iso, dt.datetime: _iso,
}
"""COPY text format of a value, by its exact type (one dictionary lookup a value)."""


def _copy_value(value: Any) -> str:
    if value is None:
        return NULL
    fmt = _FORMATS.get(type(value))
    if fmt is not None:
        return fmt(value)
    if isinstance(value, bool):
        return _boolean(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    return _text(str(value))


_AS_IS = frozenset({int, Decimal})
"""Types whose ``%s`` is already their COPY text (``str`` too, when nothing in it needs escaping)."""


def _copy_column(values: tuple[Any, ...]) -> Iterable[str] | None:
    """The COPY text of one column of a batch, or ``None`` when ``%s`` of each value already is
    (every value an int, a decimal, or a string needing no escape); else one C-level pass when every
    value has the same plain type (nulls, dates), else value by value."""
    types = set(map(type, values))
    if len(types) == 1:
        kind = types.pop()
        if kind in _AS_IS:
            return None
        if kind is str and not _needs_escape("".join(values)):
            return None
        if kind is type(None):
            return [NULL] * len(values)
        if kind is dt.date:  # a few distinct dates (entry dates, birth dates): each formatted once
            texts = {value: value.isoformat() for value in set(values)}
            return map(texts.__getitem__, values)
        if kind is dt.datetime:
            if len(set(map(id, values))) == 1:  # one moment (a load's time): formatted once
                return [values[0].isoformat()] * len(values)
            # equal moments in other time zones read differently: never shared by value
            return map(kind.isoformat, values)
    return [NULL if value is None else _copy_value(value) for value in values]


def copy_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows in COPY's text format, formatted column by column (equal to joining ``copy_line`` of
    each row, several times faster on a slice of thousands of rows): columns whose values are
    their own text stay as they are, the others are converted, and each row is one ``%`` of a
    format of as many ``%s`` as columns."""
    if not rows:
        return ""
    columns = list(zip(*rows, strict=True))
    texts = [_copy_column(column) for column in columns]
    line = "\t".join(["%s"] * len(columns)) + "\n"
    if all(text is None for text in texts):
        return "".join(map(line.__mod__, map(tuple, rows)))
    converted = [column if text is None else text for column, text in zip(columns, texts, strict=True)]
    return "".join(map(line.__mod__, zip(*converted, strict=True)))


def copy_line(row: Sequence[Any]) -> str:
    """One row in COPY's text format, with its newline."""
    formats = _FORMATS
    return "\t".join(
        NULL if value is None else (formats.get(type(value)) or _copy_value)(value) for value in row
    ) + "\n"


def array_literal(values: Sequence[Any]) -> str:
    """``values`` as the text of a PostgreSQL array (``{…}``), for one parameter cast to the array's
    type (``CAST(:keys AS text[])``): one string for the driver to quote instead of a list it adapts
    value by value (a thousand keys: 0.3 ms instead of 4). Strings, numbers, dates and ``None``
    (``NULL``); each element is read by its type's input function, as each value of a list is."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:  # numbers (and nothing)
        return "{" + ",".join(map(str, values)) + "}"
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is dt.date:
            return "{" + ",".join(map(dt.date.isoformat, values)) + "}"
        if kind is str:
            joined = "".join(values)
            if "\\" not in joined and '"' not in joined:  # quoted, nothing to escape
                return '{"' + '","'.join(values) + '"}'
    return "{" + ",".join(map(_array_element, values)) + "}"


def _array_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # as the driver writes one (a text column gets the same word)
        return "true" if value else "false"
    text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
