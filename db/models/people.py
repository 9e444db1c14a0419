"""People: students and their legal representatives, documents, addresses, achievements.

Every human is a ``person`` (a parent with two children is one row). A ``student`` is a person
who is or was enrolled; it caches the current enrolment so search needs no history scan.
Health data (health group, disability, ОВЗ) is a special category of personal data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, BigId, TimestampMixin


class Person(TimestampMixin, Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("sex in ('1', '2')", name="sex"),
        Index("ix_person_name_birth", "last_name_norm", "first_name_norm", "birth_date"),
        Index(
            "ix_person_last_name_prefix",
            "last_name_norm",
            postgresql_ops={"last_name_norm": "text_pattern_ops"},
        ),
        Index("ix_person_snils", "snils", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name_norm: Mapped[str] = mapped_column(String(100))
    first_name_norm: Mapped[str] = mapped_column(String(100))
    middle_name_norm: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    birth_place: Mapped[str | None] = mapped_column(String(300))
    citizenship_code: Mapped[str] = mapped_column(String(2), default="1")
    snils: Mapped[str | None] = mapped_column(String(11))
    inn: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    documents: Mapped[list[IdentityDocument]] = relationship(order_by="IdentityDocument.id")


class Student(TimestampMixin, Base):
    __tablename__ = "student"
    __table_args__ = (Index("ix_student_current_org", "current_organization_id", "status_code"),)

    id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    status_code: Mapped[str | None] = mapped_column(String(2))
    """Classifier ``enrolment_status``: 1 studying, 2 left, 3 graduated, 4 on leave; none if never enrolled."""
    current_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    current_class_group_id: Mapped[int | None] = mapped_column(ForeignKey("class_group.id"), index=True)
    education_level_code: Mapped[str | None] = mapped_column(String(10))
    education_form_code: Mapped[str | None] = mapped_column(String(2))
    health_group_code: Mapped[str | None] = mapped_column(String(2))
    disability_group_code: Mapped[str | None] = mapped_column(String(2))
    has_special_needs: Mapped[bool] = mapped_column(Boolean, default=False)
    source_system_id: Mapped[int | None] = mapped_column(ForeignKey("info_system.id"))
    source_packet_id: Mapped[int | None] = mapped_column(ForeignKey("packet.id"))

    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


class IdentityDocument(TimestampMixin, Base):
    """Birth certificate, passport or another identity document of a person."""

    __tablename__ = "identity_document"
    __table_args__ = (Index("ix_identity_document_number", "doc_type_code", "series", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    doc_type_code: Mapped[str] = mapped_column(String(4))
    series: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(30))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    issued_by: Mapped[str | None] = mapped_column(String(500))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)


class PersonAddress(Base):
    """A person's address of registration, residence or stay."""

    __tablename__ = "person_address"
    __table_args__ = (UniqueConstraint("person_id", "kind_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind_code: Mapped[str] = mapped_column(String(20))
    address_id: Mapped[int] = mapped_column(ForeignKey("address.id"))


class LegalRepresentative(TimestampMixin, Base):
    """A registered legal representative of a student (parent, guardian …)."""

    __tablename__ = "legal_representative"
    # found by student through the unique key, which leads with it (no index of its own: migration 0014)
    __table_args__ = (UniqueConstraint("student_id", "person_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind_code: Mapped[str] = mapped_column(String(2))
    authority_document: Mapped[str | None] = mapped_column(String(500))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    is_primary_contact: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person] = relationship()


class EducationDocument(TimestampMixin, Base):
    """An education document issued to a student (аттестат, справка, свидетельство …)."""

    __tablename__ = "education_document"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    doc_type_code: Mapped[str] = mapped_column(String(10))
    series: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(30))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    issuer_name: Mapped[str | None] = mapped_column(String(1000))
    with_honours: Mapped[bool] = mapped_column(Boolean, default=False)


class Achievement(TimestampMixin, Base):
    """An olympiad, competition or other achievement of a student."""

    __tablename__ = "achievement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    achieved_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(1000))
    level: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
