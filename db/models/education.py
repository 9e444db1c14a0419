"""What an organization teaches: classes and groups, subjects, areas, study periods."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, TimestampMixin


class ClassGroup(TimestampMixin, Base):
    """A school class, a kindergarten group, a college study group or an УДО association."""

    __tablename__ = "class_group"
    __table_args__ = (
        UniqueConstraint("organization_id", "school_year", "name"),
        CheckConstraint("grade is null or (grade >= 0 and grade <= 12)", name="grade_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    school_year: Mapped[int] = mapped_column(SmallInteger)
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    letter: Mapped[str | None] = mapped_column(String(5))
    education_level_code: Mapped[str | None] = mapped_column(String(10))
    programme_kind_code: Mapped[str | None] = mapped_column(String(5))
    education_form_code: Mapped[str] = mapped_column(String(2), default="11")
    specialty_code: Mapped[str | None] = mapped_column(String(10))
    orientation_code: Mapped[str | None] = mapped_column(String(10))
    compensating_profile_code: Mapped[str | None] = mapped_column(String(10))
    regime_code: Mapped[str | None] = mapped_column(String(10))
    age_band_code: Mapped[str | None] = mapped_column(String(10))
    capacity: Mapped[int | None] = mapped_column(SmallInteger)
    is_adapted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_advanced: Mapped[bool] = mapped_column(Boolean, default=False)


class BaseSubject(Base):
    """An entry of the subject dictionary: regional (no owner) or a municipality's own."""

    __tablename__ = "base_subject"
    __table_args__ = (UniqueConstraint("owner_authority_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    owner_authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class LocalSubject(TimestampMixin, Base):
    """A subject as an organization names it, bound to the dictionary by ``base_subject_id``."""

    __tablename__ = "local_subject"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    base_subject_id: Mapped[int | None] = mapped_column(ForeignKey("base_subject.id"), index=True)

    base_subject: Mapped[BaseSubject | None] = relationship()


class EducationArea(Base):
    """An educational area, direction (УДО) or specialty / specialty group (СПО) of an organization."""

    __tablename__ = "education_area"
    __table_args__ = (
        UniqueConstraint("organization_id", "kind", "code"),
        CheckConstraint("kind in ('area', 'direction', 'specialty_group', 'specialty')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(500))
    programme_kind_code: Mapped[str | None] = mapped_column(String(5))


class StudyPeriod(Base):
    """A quarter, trimester or half-year of a school year as an organization defines it."""

    __tablename__ = "study_period"
    __table_args__ = (
        UniqueConstraint("organization_id", "school_year", "kind_code", "number"),
        CheckConstraint("end_date >= start_date", name="dates"),
        Index("ix_study_period_org_year", "organization_id", "school_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    school_year: Mapped[int] = mapped_column(SmallInteger)
    kind_code: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
