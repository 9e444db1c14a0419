"""Exchange with other systems: registered systems, packets, load journal, SMEV, jobs, changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, BigId, TimestampMixin, utcnow


class InfoSystem(TimestampMixin, Base):
    """A registered participant: a data provider (school IS) and/or a consumer (EPGU, federal segment)."""

    __tablename__ = "info_system"
    __table_args__ = (CheckConstraint("is_provider or is_consumer", name="has_a_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mnemonic: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    is_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    is_consumer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    certificates: Mapped[list[SystemCertificate]] = relationship(order_by="SystemCertificate.id")


class SystemCertificate(Base):
    """An X.509 certificate registered for a system; the signature key of its calls and packets."""

    __tablename__ = "system_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("info_system.id", ondelete="CASCADE"), index=True)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(1000))
    serial_number: Mapped[str] = mapped_column(String(100))
    not_before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SystemWriteScope(Base):
    """An organization (with everything below it) a provider may write."""

    __tablename__ = "system_write_scope"

    system_id: Mapped[int] = mapped_column(ForeignKey("info_system.id", ondelete="CASCADE"), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)


class SystemContractGrant(Base):
    """A contract (SOAP service name) a consumer may call."""

    __tablename__ = "system_contract_grant"

    system_id: Mapped[int] = mapped_column(ForeignKey("info_system.id", ondelete="CASCADE"), primary_key=True)
    contract: Mapped[str] = mapped_column(String(100), primary_key=True)


class ProviderPriority(Base):
    """The ordered list of providers of an organization: rank 1 wins over rank 2."""

    __tablename__ = "provider_priority"
    __table_args__ = (UniqueConstraint("organization_id", "rank"),)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("info_system.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger)


class Packet(Base):
    """A packet or file exactly as received, stored before anything else happens."""

    __tablename__ = "packet"
    __table_args__ = (
        UniqueConstraint("system_id", "external_id"),
        CheckConstraint("status in ('queued', 'processing', 'done', 'done_with_errors', 'rejected')", name="status"),
        Index("ix_packet_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_id: Mapped[str] = mapped_column(String(36), unique=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("info_system.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(50))
    file_name: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    storage_path: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(32))


class LoadJournal(Base):
    """One entry of the load journal: what happened to one packet or file."""

    __tablename__ = "load_journal"
    __table_args__ = (
        CheckConstraint("status in ('success', 'error', 'partial')", name="status"),
        Index("ix_load_journal_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    packet_id: Mapped[int | None] = mapped_column(ForeignKey("packet.id"), index=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("info_system.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    file_name: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_applied: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_warned: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str | None] = mapped_column(Text)


class LoadRowError(Base):
    """A row-level error or warning of a load."""

    __tablename__ = "load_row_error"
    __table_args__ = (CheckConstraint("severity in ('error', 'warning')", name="severity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("load_journal.id", ondelete="CASCADE"), index=True)
    section: Mapped[str | None] = mapped_column(String(50))
    row: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(50))
    field: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10), default="error")


class FieldProvenance(Base):
    """Which provider last wrote which fields of a record: one row per record and provider, with the
    fields that provider wrote last (``fields``: names separated by a space) and the packet and time
    of its latest write to the record.

    A field is named by at most one row of a record: when a provider takes a field over, the field
    leaves the previous writer's row (and that row goes when it names no field any more). The
    system and packet are not foreign keys (migration 0006): they name who wrote the row, and
    systems are deactivated and packets kept, never deleted.
    """

    __tablename__ = "field_provenance"

    entity: Mapped[str] = mapped_column(String(50), primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    system_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fields: Mapped[str] = mapped_column(Text)
    packet_id: Mapped[int | None] = mapped_column(BigId)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(self.fields.split())


class SmevMessage(Base):
    """An SMEV 3 message, incoming or outgoing, with its persisted state."""

    __tablename__ = "smev_message"
    __table_args__ = (
        UniqueConstraint("direction", "message_id"),
        CheckConstraint("direction in ('in', 'out')", name="direction"),
        CheckConstraint(
            "status in ('received', 'acknowledged', 'processing', 'answered', 'sent', 'delivered', 'failed')",
            name="status",
        ),
        Index("ix_smev_message_status", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(36))
    reference_message_id: Mapped[str | None] = mapped_column(String(36), index=True)
    transaction_code: Mapped[str | None] = mapped_column(String(100))
    root_element: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Job(Base):
    """A background job (packet load, heavy report), claimed by workers with FOR UPDATE SKIP LOCKED."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="status"),
        Index("ix_job_claim", "status", "run_after", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_name: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(32))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class ChangeLog(Base):
    """Every change to students, enrolments, organizations and authorities, in version order."""

    __tablename__ = "change_log"
    __table_args__ = (
        CheckConstraint("operation in ('upsert', 'delete', 'merge')", name="operation"),
        # read by version only (the feed's pages): no index on the entity (migration 0013)
    )

    version: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(BigId)
    operation: Mapped[str] = mapped_column(String(10))
    merged_into_id: Mapped[int | None] = mapped_column(BigId)
    org_unit_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
