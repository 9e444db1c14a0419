"""The mark summaries the performance reports read, and their rebuild from the marks.

Triggers keep ``diary_mark_daily`` and ``period_mark_summary`` equal to the marks on every write
(see ``db.models.aggregates``); :func:`refresh_mark_summaries` recomputes them from scratch for
the rare write that bypasses triggers (TRUNCATE, a load with triggers disabled, a restore).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, text
from sqlalchemy.orm import Session

from db.models import DiaryMark, DiaryMarkDaily, PeriodMark, PeriodMarkSummary
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
    period_rows: int


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


def refresh_mark_summaries(session: Session) -> RefreshResult:
    """Recompute both summaries from the marks in the session's transaction (the caller commits).

    On PostgreSQL the mark tables are locked against writes (not reads) meanwhile, so that no
    trigger adds to a summary that is being rebuilt.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE diary_mark, period_mark IN SHARE MODE"))
    session.execute(delete(DiaryMarkDaily))
    session.execute(delete(PeriodMarkSummary))
    diary_keys = (DiaryMark.organization_id, DiaryMark.subject_id, DiaryMark.mark_date)
    session.execute(
        insert(DiaryMarkDaily).from_select(
            ["organization_id", "subject_id", "mark_date", *COUNTERS],
            select(*diary_keys, *mark_counters(DiaryMark.scale_code, DiaryMark.raw_value)).group_by(*diary_keys),
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
        period_rows=int(session.scalar(select(func.count()).select_from(PeriodMarkSummary)) or 0),
    )
