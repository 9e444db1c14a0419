"""Mark counts kept per organization and subject so that performance reports never scan marks.

Both tables are derived data: database triggers (migration 0003) keep them equal to the marks
on every INSERT, UPDATE and DELETE, whoever writes (intake, demo generator, administration);
``reports.aggregates.refresh_mark_summaries`` rebuilds them from scratch after writes that
bypass triggers (TRUNCATE, loads with triggers disabled). Counts follow ``reports.performance``:
``counted`` is every five-point mark plus every «н/а», ``grade_5`` … ``grade_1`` the five-point
marks of each grade, ``entries`` every mark of any scale (a group is shown while it is positive).
No foreign keys: a summary row must never block deleting what it counts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class MarkCounts:
    """The counters both summaries share."""

    entries: Mapped[int] = mapped_column(Integer, default=0)
    """Marks of any scale (pass/fail and exemptions included)."""
    counted: Mapped[int] = mapped_column(Integer, default=0)
    """Five-point marks plus «н/а»: the base of the performance shares."""
    grade_5: Mapped[int] = mapped_column(Integer, default=0)
    grade_4: Mapped[int] = mapped_column(Integer, default=0)
    grade_3: Mapped[int] = mapped_column(Integer, default=0)
    grade_2: Mapped[int] = mapped_column(Integer, default=0)
    grade_1: Mapped[int] = mapped_column(Integer, default=0)
    not_attested: Mapped[int] = mapped_column(Integer, default=0)
    """«н/а» marks."""


class DiaryMarkDaily(MarkCounts, Base):
    """Diary marks of one organization in one subject on one day, counted by grade."""

    __tablename__ = "diary_mark_daily"
    __table_args__ = (Index("ix_diary_mark_daily_date", "mark_date"),)

    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mark_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class DiaryMarkMonthly(MarkCounts, Base):
    """Diary marks of one organization in one subject in one calendar month, counted by grade.

    A date range reads whole months here and only its partial edge months from ``diary_mark_daily``.
    """

    __tablename__ = "diary_mark_monthly"

    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    """The first day of the month."""


class PeriodMarkSummary(MarkCounts, Base):
    """Period, annual and final marks of one organization in one subject, counted by grade."""

    __tablename__ = "period_mark_summary"

    school_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """The study period of ``period`` marks; 0 for annual and final marks."""
