"""Date and time rules shared by every layer: UTC instants, full years of age, school years."""

from __future__ import annotations

import datetime as dt


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (SQLite hands back naive ones; everything stored is UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def full_years(birth: dt.date, on: dt.date) -> int:
    """Age in full years on a given date (never "age today")."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def school_year_of(day: dt.date) -> int:
    """The school year (named by its first calendar year) a day belongs to: it starts on 1 September."""
    return day.year if day.month >= 9 else day.year - 1
