"""What list queries share: checked Page/PageSize, one page of results, inclusive date ranges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

from kontingent_ws.errors import ValidationError

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Paging:
    """A checked page request."""

    offset: int
    """Rows to skip."""
    limit: int
    """Rows to return."""


@dataclass(frozen=True, kw_only=True)
class PageOf(Generic[T]):
    """One page of results with the total number of matching rows."""

    items: list[T]
    """The rows of the requested page, in the answer's order."""
    total: int
    """How many rows match the query on all pages together."""


def check_paging(page: int, page_size: int, *, limit: int) -> Paging:
    """Refuse a page number below 1 or a page size outside 1..``limit`` (naming the field)."""
    if page < 1:
        raise ValidationError("Номер страницы Page должен быть не меньше 1", field="Page")
    if not 1 <= page_size <= limit:
        raise ValidationError(f"Размер страницы PageSize должен быть от 1 до {limit}", field="PageSize")
    return Paging(offset=(page - 1) * page_size, limit=page_size)


def day_bounds(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The UTC instants ``[start of date_from, start of the day after date_to)`` (either may be open)."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError("Дата начала периода DateFrom позже даты окончания DateTo", field="DateFrom")
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=dt.UTC) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) if date_to else None
    return start, end


