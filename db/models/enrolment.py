"""Enrolments: a student in an organization, class/group and programme, from entry to exit.

Migration is the ordered history of a student's enrolments.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, BigId, TimestampMixin
from db.models.territory import Organization


class Enrolment(TimestampMixin, Base):
    __tablename__ = "enrolment"
    __table_args__ = (
        CheckConstraint("exit_date is null or exit_date >= entry_date", name="exit_after_entry"),
        CheckConstraint(
            "(exit_date is null and exit_reason_code is null) or "
            "(exit_date is not null and exit_reason_code is not null)",
            name="exit_has_reason",
        ),
        Index("ix_enrolment_student_entry", "student_id", "entry_date"),
        Index("ix_enrolment_org_exit", "organization_id", "exit_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    class_group_id: Mapped[int | None] = mapped_column(ForeignKey("class_group.id"), index=True)
    education_level_code: Mapped[str | None] = mapped_column(String(10))
    programme_kind_code: Mapped[str | None] = mapped_column(String(5))
    programme_name: Mapped[str | None] = mapped_column(String(500))
    education_form_code: Mapped[str] = mapped_column(String(2), default="11")
    specialty_code: Mapped[str | None] = mapped_column(String(10))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    entry_reason_code: Mapped[str] = mapped_column(String(10))
    entry_order: Mapped[str | None] = mapped_column(String(100))
    exit_date: Mapped[dt.date | None] = mapped_column(Date)
    exit_reason_code: Mapped[str | None] = mapped_column(String(10))
    exit_order: Mapped[str | None] = mapped_column(String(100))
    source_system_id: Mapped[int | None] = mapped_column(ForeignKey("info_system.id"))
    source_packet_id: Mapped[int | None] = mapped_column(ForeignKey("packet.id"))

    organization: Mapped[Organization] = relationship()
