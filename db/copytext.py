"""PostgreSQL's COPY text format: one row a line, values separated by tabs, ``\\N`` for NULL,
backslash, tab, newline and carriage return escaped. Used by every bulk writer (intake, the change
feed, the demo generator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


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


def copy_line(row: Sequence[Any]) -> str:
    """One row in COPY's text format, with its newline."""
    formats = _FORMATS
    return "\t".join(
        NULL if value is None else (formats.get(type(value)) or _copy_value)(value) for value in row
    ) + "\n"
