"""The mark summaries the performance reports read, and their rebuild from the marks.

Triggers keep ``diary_mark_daily``, ``diary_mark_monthly`` and ``period_mark_summary`` equal to the marks on every write
(see ``db.models.aggregates``); :func:`refresh_mark_summaries` recomputes them from scratch for
the rare write that bypasses triggers (TRUNCATE, a load with triggers disabled, a restore).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Date, delete, func, insert, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from db.models import DiaryMark, DiaryMarkDaily, DiaryMarkMonthly, PeriodMark, PeriodMarkSummary
from db.models.aggregates import MarkCounts
from reports.query import count_if

FIVE_POINT = "five_point"
NOT_ATTESTED = "na"
GRADES = ("5", "4", "3", "2", "1")
COUNTERS = ("entries", "counted", *(f"grade_{grade}" for grade in GRADES), "not_attested")
"""The counter columns of both summaries, in table order."""


@dataclass(frozen=True, kw_only=True)
class RefreshResult:
    """How many summary rows a rebuild wrote."""

    diary_rows: int
    """Rows of ``diary_mark_daily``."""
    monthly_rows: int
    period_rows: int


class month_of(FunctionElement[dt.date]):
    """The first day of the month of a date."""

    type = Date()
    inherit_cache = True


@compiles(month_of)
def _month_of_default(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


def mark_counters(scale: Any, raw_value: Any) -> list[ColumnElement[int]]:
    """The aggregates of ``COUNTERS`` over mark rows with these scale and value columns."""
    five_point = scale == FIVE_POINT
    return [
        func.count(),
        count_if(scale.in_((FIVE_POINT, NOT_ATTESTED))),
        *(count_if(five_point & (raw_value == grade)) for grade in GRADES),
        count_if(scale == NOT_ATTESTED),
    ]


def summed_counts(summary: type[MarkCounts]) -> list[ColumnElement[int]]:
    """Sums of a summary's counters a performance row is made of: counted, grades 5 … 1, «н/а»."""
    return [func.coalesce(func.sum(getattr(summary, name)), 0) for name in COUNTERS[1:]]


def has_marks(summary: type[MarkCounts]) -> ColumnElement[bool]:
    """HAVING condition: the group still holds at least one mark (deleted marks leave zero rows)."""
    return func.sum(summary.entries) > 0


DayRange = tuple[dt.date, dt.date]


def month_split(date_from: dt.date, date_to: dt.date) -> tuple[DayRange | None, list[DayRange]]:
    """The whole months of a date range (first days of the first and the last one, or None) and
    the day ranges left at its edges: 10 Sep – 15 Nov → (1 Oct, 1 Oct), [10–30 Sep, 1–15 Nov]."""
    first = date_from if date_from.day == 1 else _next_month(date_from)
    after = _next_month(date_to) if _next_month(date_to) - dt.timedelta(days=1) == date_to else date_to.replace(day=1)
    if first >= after:
        return None, [(date_from, date_to)]
    edges: list[DayRange] = []
    if date_from < first:
        edges.append((date_from, first - dt.timedelta(days=1)))
    if after <= date_to:
        edges.append((after, date_to))
    last = (after - dt.timedelta(days=1)).replace(day=1)
    return (first, last), edges


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def refresh_mark_summaries(session: Session) -> RefreshResult:
    """Recompute both summaries from the marks in the session's transaction (the caller commits).

    On PostgreSQL the mark tables are locked against writes (not reads) meanwhile, so that no
    trigger adds to a summary that is being rebuilt.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE diary_mark, period_mark IN SHARE MODE"))
    for summary in (DiaryMarkDaily, DiaryMarkMonthly, PeriodMarkSummary):
        session.execute(delete(summary))
    diary_counts = mark_counters(DiaryMark.scale_code, DiaryMark.raw_value)
    diary_keys = (DiaryMark.organization_id, DiaryMark.subject_id, DiaryMark.mark_date)
    session.execute(
        insert(DiaryMarkDaily).from_select(
            ["organization_id", "subject_id", "mark_date", *COUNTERS],
            select(*diary_keys, *diary_counts).group_by(*diary_keys),
        )
    )
    month = month_of(DiaryMark.mark_date)
    session.execute(
        insert(DiaryMarkMonthly).from_select(
            ["organization_id", "subject_id", "month", *COUNTERS],
            select(DiaryMark.organization_id, DiaryMark.subject_id, month, *diary_counts).group_by(
                DiaryMark.organization_id, DiaryMark.subject_id, month
            ),
        )
    )
    period = func.coalesce(PeriodMark.study_period_id, 0)
    period_keys = (PeriodMark.school_year, PeriodMark.organization_id, PeriodMark.subject_id, PeriodMark.kind, period)
    session.execute(
        insert(PeriodMarkSummary).from_select(
            ["school_year", "organization_id", "subject_id", "kind", "period_id", *COUNTERS],
            select(*period_keys, *mark_counters(PeriodMark.scale_code, PeriodMark.raw_value)).group_by(*period_keys),
        )
    )
    return RefreshResult(
        diary_rows=int(session.scalar(select(func.count()).select_from(DiaryMarkDaily)) or 0),
        monthly_rows=int(session.scalar(select(func.count()).select_from(DiaryMarkMonthly)) or 0),
        period_rows=int(session.scalar(select(func.count()).select_from(PeriodMarkSummary)) or 0),
    )
