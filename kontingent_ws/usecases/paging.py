"""What the registry searches share on top of ``listing``: sorting by a whitelisted column,
case-insensitive name prefixes, checked identifiers, dates and classifier codes.

Every refusal is a ``ValidationError`` naming the request field, with a Russian message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression
from sqlalchemy.orm import QueryableAttribute

from adapters.identifiers import IdentifierError, normalize_snils
from db.classifiers import codes_of, item_of, title_of
from db.names import normalize_name
from kontingent_ws.errors import ValidationError

ASCENDING = "asc"
DESCENDING = "desc"
SORT_DIRECTIONS = (ASCENDING, DESCENDING)

LIKE_ESCAPE = "\\"


@dataclass(frozen=True, kw_only=True)
class SortOrder:
    """A checked sort request: the ORDER BY clauses, the id tiebreak last."""

    clauses: tuple[UnaryExpression[Any], ...]


SortKey = ColumnElement[Any] | QueryableAttribute[Any]
"""A column (or mapped attribute) rows can be ordered by."""

Sortable = Mapping[str, Sequence[SortKey]]
"""Answer field name → the columns it sorts by (a full name sorts by last, first, middle name)."""


def sort_key(sort_by: str | None, direction: str | None, *, columns: Sortable, default: str) -> tuple[str, bool]:
    """The checked sort request: (answer field, descending). ``columns`` is the whitelist of
    sortable answer fields; any other name, or a direction other than asc/desc, is refused."""
    name = (sort_by or "").strip() or default
    if name not in columns:
        raise ValidationError(
            f"Неизвестное поле сортировки SortBy «{name}»; допустимы: {', '.join(columns)}", field="SortBy"
        )
    order = (direction or ASCENDING).strip().lower()
    if order not in SORT_DIRECTIONS:
        raise ValidationError("Направление сортировки SortDirection должно быть asc или desc", field="SortDirection")
    return name, order == DESCENDING


def sort_order(
    sort_by: str | None,
    direction: str | None,
    *,
    columns: Sortable,
    default: str,
    tiebreak: SortKey,
) -> SortOrder:
    """ORDER BY ``columns[sort_by]`` (``default`` when absent) in ``direction``, then ``tiebreak``.

    ``columns`` is the whitelist of sortable answer fields; any other name is refused.
    """
    name, descending = sort_key(sort_by, direction, columns=columns, default=default)
    keys = [*columns[name], tiebreak]
    if descending:
        return SortOrder(clauses=tuple(key.desc() for key in keys))
    return SortOrder(clauses=tuple(key.asc() for key in keys))


def _escape_like(value: str) -> str:
    return value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def prefix_pattern(value: str | None) -> str | None:
    """``LIKE`` pattern of a case-insensitive name prefix (``None`` when the filter is empty)."""
    text = normalize_name(value or "")
    return f"{_escape_like(text)}%" if text else None


def prefix_range(value: str | None) -> tuple[str, str] | None:
    """``[low, high)`` holding exactly the normalized strings that start with the normalized prefix,
    under code-point ordering (SQLite, PostgreSQL with the C or C.UTF-8 collation). Unlike ``LIKE``
    it lets PostgreSQL walk the (last name, first name, birth date) index in order and stop after
    one page."""
    text = normalize_name(value or "")
    if not text:
        return None
    return text, text[:-1] + chr(ord(text[-1]) + 1)


def contains_pattern(value: str | None) -> str | None:
    """``LIKE`` pattern of a case-insensitive substring (``None`` when the filter is empty)."""
    text = normalize_name(value or "")
    return f"%{_escape_like(text)}%" if text else None


def checked_snils(value: str | None, *, field: str = "Snils") -> str | None:
    """A СНИЛС in any accepted spelling → its 11 digits; a wrong one is refused."""
    if value is None or not value.strip():
        return None
    try:
        return normalize_snils(value)
    except IdentifierError as exc:
        raise ValidationError(f"Поле {field}: {exc.message}", field=field) from exc


def checked_digits(value: str | None, *, field: str, lengths: tuple[int, ...], what: str) -> str | None:
    """An identifier searched for by exact match (ИНН, ОГРН): digits of one of ``lengths``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isdigit() or len(text) not in lengths:
        allowed = " или ".join(str(n) for n in lengths)
        raise ValidationError(f"Поле {field}: {what} должен состоять из {allowed} цифр", field=field)
    return text


def checked_range(
    date_from: dt.date | None, date_to: dt.date | None, *, field_from: str, field_to: str
) -> tuple[dt.date | None, dt.date | None]:
    """An inclusive date range whose start is not after its end."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError(
            f"Дата начала периода {field_from} позже даты окончания {field_to}", field=field_from
        )
    return date_from, date_to


def checked_code(value: str | None, *, classifier: str, field: str) -> str | None:
    """A code of ``classifier`` (absent stays ``None``); an unknown one is refused."""
    if value is None or not value.strip():
        return None
    code = value.strip()
    if code not in codes_of(classifier):
        raise ValidationError(
            f"Поле {field}: код «{code}» отсутствует в справочнике «{title_of(classifier)}»", field=field
        )
    return code


def label(classifier: str, code: str | None) -> str | None:
    """Russian name of ``code`` for an answer: ``None`` for no code, the code itself if unknown."""
    if code is None:
        return None
    item = item_of(classifier, code)
    return item.name if item is not None else code
