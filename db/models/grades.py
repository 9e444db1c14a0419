"""Grades: diary marks, period/annual/final marks, exam results.

A mark is kept as (scale, raw value, numeric value or none): «н/а», «зач», «осв» have no number.
The writer's organization and source system of a mark are plain columns, not foreign keys
(migration 0006): they name who wrote the row, and organizations and systems are deactivated,
never deleted; a key would cost one lookup a mark on every load.
The data keys (student, subject, study period, class) are declared here and are ordinary foreign
keys on SQLite; on PostgreSQL migration 0007 checks them once a statement by triggers with the
same meaning (a COPY of 20,000 marks locks and counts its students once instead of querying per row).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


def _period_key(context: Any) -> int:
    """A new period mark's ``period_key`` from its study period (inserts that do not give it)."""
    period: int | None = context.get_current_parameters().get("study_period_id")
    return 0 if period is None else period


class DiaryMark(Base):
    """A current mark from the electronic diary."""

    __tablename__ = "diary_mark"
    __table_args__ = (
        Index("ix_diary_mark_student_date", "student_id", "mark_date"),
        Index("ix_diary_mark_org_date", "organization_id", "mark_date"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(Integer)
    class_group_id: Mapped[int | None] = mapped_column(ForeignKey("class_group.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("local_subject.id"))
    mark_date: Mapped[dt.date] = mapped_column(Date)
    scale_code: Mapped[str] = mapped_column(String(20))
    raw_value: Mapped[str] = mapped_column(String(10))
    numeric_value: Mapped[float | None] = mapped_column(Numeric(5, 2))
    weight: Mapped[int] = mapped_column(SmallInteger, default=1)
    control_form_code: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(String(500))
    external_id: Mapped[str | None] = mapped_column(String(64))
    source_system_id: Mapped[int | None] = mapped_column(Integer)


class PeriodMark(Base):
    """A mark for a study period (quarter, trimester, half-year), or the annual or final mark.

    A mark is found by its key (student, subject, school year, kind, study period) and nothing else
    refers to it, so the key is its primary key (migration 0012): a surrogate id would cost an index
    entry a mark – a fifth of the server's work for the largest table a packet writes – and serve no
    read. A key's columns cannot be NULL: ``period_key`` is the study period's id for a period mark and
    0 for an annual or final mark (as ``period_mark_summary.period_id``), kept equal to
    ``study_period_id`` – the column the study period is referred by – by a check.
    """

    __tablename__ = "period_mark"
    __table_args__ = (
        CheckConstraint("kind in ('period', 'annual', 'final')", name="kind"),
        CheckConstraint("(kind = 'period') = (study_period_id is not null)", name="period_for_period_marks"),
        CheckConstraint("period_key = coalesce(study_period_id, 0)", name="period_key"),
        # read by student only (the key leads with it): no index on the organization (migration 0009)
    )

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("local_subject.id"), primary_key=True)
    school_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    period_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=_period_key)
    organization_id: Mapped[int] = mapped_column(Integer)
    study_period_id: Mapped[int | None] = mapped_column(ForeignKey("study_period.id"))
    scale_code: Mapped[str] = mapped_column(String(20))
    raw_value: Mapped[str] = mapped_column(String(10))
    numeric_value: Mapped[float | None] = mapped_column(Numeric(5, 2))
    source_system_id: Mapped[int | None] = mapped_column(Integer)


class ExamResult(Base):
    """A state exam result (ОГЭ, ЕГЭ, ГВЭ)."""

    __tablename__ = "exam_result"
    __table_args__ = (UniqueConstraint("student_id", "exam_kind_code", "base_subject_id", "exam_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    exam_kind_code: Mapped[str] = mapped_column(String(10))
    base_subject_id: Mapped[int] = mapped_column(ForeignKey("base_subject.id"))
    exam_date: Mapped[dt.date] = mapped_column(Date)
    primary_score: Mapped[int | None] = mapped_column(SmallInteger)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    mark: Mapped[str | None] = mapped_column(String(10))
