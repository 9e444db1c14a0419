"""Enrolments pre-joined with the student's sex, birth date and citizenship, for the reports.

The reports that count the students enrolled on a snapshot date read this narrow table instead of
joining ``enrolment`` with ``person`` (a person row is wide and persons outnumber students). It is
derived data: database triggers (migration 0004) keep it equal to ``enrolment`` joined with
``person`` on every INSERT, UPDATE and DELETE of an enrolment and every change of a person's sex,
birth date or citizenship; ``reports.snapshot.refresh_report_enrolments`` rebuilds it after writes
that bypass triggers. No foreign keys: a row must never block deleting what it mirrors.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class ReportEnrolment(Base):
    """One enrolment with the attributes of its student the reports group by."""

    __tablename__ = "report_enrolment"
    __table_args__ = (
        Index("ix_report_enrolment_student", "student_id"),
        Index("ix_report_enrolment_organization", "organization_id"),
    )

    enrolment_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    student_id: Mapped[int] = mapped_column(BigId)
    organization_id: Mapped[int] = mapped_column(Integer)
    class_group_id: Mapped[int | None] = mapped_column(Integer)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    exit_date: Mapped[dt.date | None] = mapped_column(Date)
    education_level_code: Mapped[str | None] = mapped_column(String(10))
    education_form_code: Mapped[str | None] = mapped_column(String(2))
    specialty_code: Mapped[str | None] = mapped_column(String(10))
    entry_reason_code: Mapped[str] = mapped_column(String(10))
    exit_reason_code: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(1))
    birth_key: Mapped[int] = mapped_column(Integer)
    """The birth date as the number YYYYMMDD: full years on a date D are (D − birth) // 10000."""
    citizenship_code: Mapped[str | None] = mapped_column(String(2))
    alone: Mapped[bool] = mapped_column(Boolean, server_default=true())
    """No other enrolment of the student shares a day with this one: on any date it is the
    student's only active enrolment, so a report counts it without de-duplicating students."""
