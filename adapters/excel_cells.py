"""Reading the cells of one spreadsheet row: every problem becomes a row error, nothing raises.

Cells come as python-calamine gives them (``str``, ``int``, ``float``, ``bool``, ``date``,
``datetime``, ``time``, ``timedelta``; ``""`` when empty). ``RowCells`` locates a column by its
machine key and names it in row errors by its Russian header; what a valid value is comes from
``adapters.validation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from adapters import validation
from adapters.excel_kinds import Column
from adapters.identifiers import IdentifierError
from adapters.validation import RowSink, parse_dmy


def cell_text(value: object) -> str | None:
    """A cell as the text a person sees: whitespace collapsed, whole floats without ``.0``; ``None`` if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime):
        text = value.strftime("%d.%m.%Y") if value.time() == time() else value.strftime("%d.%m.%Y %H:%M:%S")
    elif isinstance(value, date):
        text = value.strftime("%d.%m.%Y")
    else:
        text = str(value)
    return " ".join(text.split()) or None


class RowCells:
    """Typed readers over the cells of one data row."""

    __slots__ = ("columns", "positions", "sink", "values")

    def __init__(
        self, values: Sequence[object], positions: Mapping[str, int], columns: Mapping[str, Column], sink: RowSink
    ):
        """``positions`` maps a column key to its index in ``values`` (every row as wide as the keys row)."""
        self.values = values
        self.positions = positions
        self.columns = columns
        self.sink = sink

    def header(self, key: str) -> str:
        """Field name of a column in row errors: its Russian header."""
        return self.columns[key].header

    def raw(self, key: str) -> object:
        """The cell as read; ``""`` when the template has no such column."""
        position = self.positions.get(key)
        return "" if position is None else self.values[position]

    def text(self, key: str, *, required: bool = False) -> str | None:
        """The cell as text; a missing required value is ``REQUIRED``."""
        position = self.positions.get(key)
        value: str | None = None
        if position is not None:  # as ``cell_text`` gives it, strings (by far the most frequent) inline
            cell = self.values[position]
            value = ((" ".join(cell.split()) or None) if cell else None) if isinstance(cell, str) else cell_text(cell)
        if value is None and required:
            self.sink.fail("REQUIRED", self.header(key), None)
        return value

    def date(self, key: str, *, required: bool = False, not_after: date | None = None) -> date | None:
        """A date cell, or text ``ДД.ММ.ГГГГ``; a date later than ``not_after`` is ``DATE_IN_FUTURE``."""
        raw = self.raw(key)
        if isinstance(raw, date):
            value = raw.date() if isinstance(raw, datetime) else raw
        else:
            text = self.text(key, required=required)
            if text is None:
                return None
            parsed = parse_dmy(text) if isinstance(raw, str) else None
            if parsed is None:
                self.sink.fail("BAD_DATE_DMY", self.header(key), text)
                return None
            value = parsed
        if not_after is not None and value > not_after:
            validation.check_not_after(self.sink, self.header(key), cell_text(raw) or "", value, not_after)
        return value

    def choice(self, key: str, *, required: bool = False) -> str | None:
        """The code of the name chosen from the column's classifier list (a code is accepted too)."""
        text = self.text(key, required=required)
        classifier = self.columns[key].classifier
        if text is None or classifier is None:
            return None
        code = validation.code_by_name(classifier, text)
        if code is None:  # the row error, as ``check_name`` records it
            return validation.check_name(self.sink, self.header(key), text, classifier)
        return code

    def identifier(self, key: str, normalize: Callable[[str], str], *, required: bool = False) -> str | None:
        """An identifier checked and normalised by one of ``adapters.identifiers``."""
        text = self.text(key, required=required)
        if text is None:
            return None
        try:
            return normalize(text)
        except IdentifierError:  # the row error, as ``check_identifier`` records it
            return validation.check_identifier(self.sink, self.header(key), text, normalize)

    def integer(self, key: str, *, required: bool = False) -> int | None:
        """A whole number."""
        raw = self.raw(key)
        text = self.text(key, required=required)
        if text is None:
            return None
        if isinstance(raw, timedelta | time | date):
            self.sink.fail("BAD_NUMBER", self.header(key), text)
            return None
        return validation.check_integer(self.sink, self.header(key), text)

    def school_year(self, key: str, *, required: bool = False) -> str | None:
        """A school year ``2025/2026``."""
        text = self.text(key, required=required)
        return None if text is None else validation.check_school_year(self.sink, self.header(key), text)

    def pattern(self, key: str, regex: re.Pattern[str], expected: str) -> str | None:
        """Text that must match ``regex`` whole; otherwise ``BAD_FORMAT`` naming ``expected``."""
        text = self.text(key)
        if text is None or regex.fullmatch(text):
            return text
        self.sink.fail("BAD_FORMAT", self.header(key), text, expected=expected)
        return None


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
POSTAL_CODE = re.compile(r"\d{6}")


class SameOrganization:
    """Every row of one file must name the same organization: the first valid ИНН sets it."""

    def __init__(self) -> None:
        self.inn: str | None = None

    def check(self, cells: RowCells, key: str) -> str | None:
        """The row's organization ИНН; a different one than the file's is ``OTHER_ORGANIZATION``."""
        if self.inn is not None and cells.text(key) == self.inn:
            return self.inn
        inn = cells.identifier(key, validation.normalize_inn, required=True)
        if inn is None or self.inn is None:
            self.inn = self.inn or inn
            return inn
        if inn != self.inn:
            cells.sink.fail("OTHER_ORGANIZATION", cells.header(key), inn, expected=self.inn)
            return None
        return inn
