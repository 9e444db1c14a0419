"""The kindergarten queue: applications, preferred organizations, status history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow


class QueueApplication(Base):
    __tablename__ = "queue_application"
    __table_args__ = (Index("ix_queue_application_territory_status", "municipality_id", "status_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    desired_date: Mapped[dt.date] = mapped_column(Date)
    orientation_code: Mapped[str] = mapped_column(String(10))
    regime_code: Mapped[str] = mapped_column(String(10))
    privilege_code: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[str] = mapped_column(String(20))
    enrolled_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    source_system_id: Mapped[int | None] = mapped_column(ForeignKey("info_system.id"))


class QueuePreference(Base):
    """A preferred kindergarten of an application, in the applicant's order."""

    __tablename__ = "queue_preference"
    __table_args__ = (UniqueConstraint("application_id", "rank"), UniqueConstraint("application_id", "organization_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("queue_application.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    rank: Mapped[int] = mapped_column(SmallInteger)


class QueueStatusChange(Base):
    __tablename__ = "queue_status_change"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("queue_application.id", ondelete="CASCADE"), index=True)
    status_code: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
