"""People who use the system, WS-Security nonces and the personal-data audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, TimestampMixin, utcnow


class AppUser(TimestampMixin, Base):
    """A person who works with the system: system administrator, authority administrator, employee."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role in ('system_admin', 'authority_admin', 'employee')", name="role"),
        CheckConstraint("role = 'system_admin' or org_unit_id is not null", name="scoped_roles_have_unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    """Argon2id hash of the password (verifies PasswordText tokens)."""
    digest_secret: Mapped[bytes] = mapped_column(LargeBinary)
    """The password encrypted with the server's secret key: WS-Security PasswordDigest needs it."""
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WsNonce(Base):
    """A WS-Security UsernameToken nonce already accepted (each is accepted once).

    UNLOGGED on PostgreSQL (migration 0002): remembering a nonce must not cost a WAL flush on every call. After a
    database crash the table is empty, so a captured request could be replayed until its
    ``Created`` leaves the allowed skew (five minutes) – an accepted trade-off.
    """

    __tablename__ = "ws_nonce"

    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    login: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class AuditEvent(Base):
    """Append-only record of a personal-data read or write, an authentication failure or a refusal."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("action in ('read', 'write', 'auth_failure', 'access_denied', 'admin')", name="action"),
        Index("ix_audit_log_occurred", "occurred_at"),
        Index("ix_audit_log_subject", "subject_person_id", "occurred_at"),
        Index("ix_audit_log_user", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    system_id: Mapped[int | None] = mapped_column(ForeignKey("info_system.id"))
    actor: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64))
    contract: Mapped[str | None] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    subject_person_id: Mapped[int | None] = mapped_column(BigId)
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(32))
