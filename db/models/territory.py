"""Territory, addresses and the hierarchy of authorities (ОУО) and organizations (ОО).

Authorities and organizations share one node table, ``org_unit``; each node is either an
authority or an organization (joined-table inheritance). ``org_unit_closure`` holds every
(ancestor, descendant) pair, itself included at depth 0, so "this unit and everything below
it" is one indexed lookup.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, BigId, TimestampMixin


class Region(Base):
    """A subject of the Russian Federation served by this installation."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    oktmo: Mapped[str] = mapped_column(String(11))


class Municipality(Base):
    """A municipal district, city or municipal district (округ), or an intra-city district."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    oktmo: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind_code: Mapped[str] = mapped_column(String(20))


class Address(Base):
    """An address as text plus its ФИАС/ГАР identifiers and ОКТМО."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fias_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    gar_id: Mapped[int | None] = mapped_column(BigId)
    oktmo: Mapped[str | None] = mapped_column(String(11))
    postal_code: Mapped[str | None] = mapped_column(String(6))
    region_name: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(200))
    locality: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    house: Mapped[str | None] = mapped_column(String(20))
    building: Mapped[str | None] = mapped_column(String(20))
    apartment: Mapped[str | None] = mapped_column(String(20))
    full_text: Mapped[str] = mapped_column(Text)


class OrgUnit(TimestampMixin, Base):
    """A node of the hierarchy: an education authority or an educational organization.

    Requisites and contacts are common to both kinds.
    """

    __tablename__ = "org_unit"
    __table_args__ = (CheckConstraint("kind in ('authority', 'organization')", name="kind"),)
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_abstract": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(1000))
    short_name: Mapped[str] = mapped_column(String(500))
    full_name_norm: Mapped[str] = mapped_column(String(1000))
    inn: Mapped[str | None] = mapped_column(String(12), index=True)
    kpp: Mapped[str | None] = mapped_column(String(9))
    ogrn: Mapped[str | None] = mapped_column(String(15), index=True)
    okpo: Mapped[str | None] = mapped_column(String(10))
    oktmo: Mapped[str | None] = mapped_column(String(11))
    okopf_code: Mapped[str | None] = mapped_column(String(5))
    okfs_code: Mapped[str | None] = mapped_column(String(2))
    status_code: Mapped[str] = mapped_column(String(2), default="1")
    head_name: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    fax: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    legal_address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    actual_address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    legal_address: Mapped[Address | None] = relationship(foreign_keys=[legal_address_id])
    actual_address: Mapped[Address | None] = relationship(foreign_keys=[actual_address_id])
    municipality: Mapped[Municipality | None] = relationship()


class Authority(OrgUnit):
    """An education management body (ОУО): regional ministry or municipal department."""

    __tablename__ = "authority"
    __mapper_args__ = {"polymorphic_identity": "authority"}

    id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)


class Organization(OrgUnit):
    """An educational organization (ОО) of any type: ДОО, school, college, УДО …"""

    __tablename__ = "organization"
    __mapper_args__ = {"polymorphic_identity": "organization"}

    id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)
    type_code: Mapped[str] = mapped_column(String(2), index=True)
    activity_kind_code: Mapped[str | None] = mapped_column(String(10))
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    license_number: Mapped[str | None] = mapped_column(String(50))
    license_date: Mapped[dt.date | None] = mapped_column(Date)
    accreditation_number: Mapped[str | None] = mapped_column(String(50))
    period_scheme_code: Mapped[str] = mapped_column(String(20), default="quarter")
    is_city: Mapped[bool] = mapped_column(default=True)

    branches: Mapped[list[Branch]] = relationship(back_populates="organization", order_by="Branch.id")


class Branch(TimestampMixin, Base):
    """A branch (филиал) or separate site of an organization, with its own address."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(1000))
    short_name: Mapped[str] = mapped_column(String(500))
    kpp: Mapped[str | None] = mapped_column(String(9))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    status_code: Mapped[str] = mapped_column(String(2), default="1")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))

    organization: Mapped[Organization] = relationship(back_populates="branches")
    address: Mapped[Address | None] = relationship()


class OrgUnitClosure(Base):
    """Every (ancestor, descendant) pair of the hierarchy, each node its own ancestor at depth 0."""

    __tablename__ = "org_unit_closure"
    __table_args__ = (Index("ix_org_unit_closure_descendant", "descendant_id", "ancestor_id"),)

    ancestor_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)
    descendant_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)
    depth: Mapped[int] = mapped_column(Integer)
