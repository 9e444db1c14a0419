"""A small region with one user of each role, and call contexts of the Administration contract."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AppUser, AuditEvent
from kontingent_ws.call import CallContext
from kontingent_ws.registry import CONTRACTS
from kontingent_ws.security.caller import AUTHORITY_ADMIN, EMPLOYEE, SYSTEM, SYSTEM_ADMIN, Caller
from kontingent_ws.security.passwords import encrypt_secret, hash_password
from kontingent_ws.settings import Settings
from tests.authkit import SmallRegion, make_small_region

SETTINGS = Settings(secret_key=Fernet.generate_key().decode(), page_size_limit=50)
PASSWORD = "Пароль-2024-надёжный"


@dataclass(frozen=True, kw_only=True)
class AdminWorld:
    """The small region plus a system administrator, a northern authority administrator and a
    northern school employee (all committed)."""

    region: SmallRegion
    admin: Caller
    north_admin: Caller
    north_employee: Caller


def _user(session: Session, login: str, role: str, unit_id: int | None) -> Caller:
    user = AppUser(
        login=login,
        password_hash=hash_password(PASSWORD),
        digest_secret=encrypt_secret(SETTINGS, PASSWORD),
        role=role,
        org_unit_id=unit_id,
        full_name=f"Пользователь {login}",
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return Caller(kind="user", role=role, name=login, user_id=user.id, unit_id=unit_id)


def make_admin_world(session: Session) -> AdminWorld:
    region = make_small_region(session)
    world = AdminWorld(
        region=region,
        admin=_user(session, "admin", SYSTEM_ADMIN, None),
        north_admin=_user(session, "north.admin", AUTHORITY_ADMIN, region.north_id),
        north_employee=_user(session, "north.teacher", EMPLOYEE, region.north_school_id),
    )
    session.commit()
    return world


def provider_caller(system_id: int, mnemonic: str) -> Caller:
    return Caller(kind="system", role=SYSTEM, name=mnemonic, system_id=system_id, is_provider=True)


def admin_call(session: Session, caller: Caller, operation: str = "Test") -> CallContext:
    """A call of the Administration contract as ``caller`` (settings: page size limit 50)."""
    return CallContext(
        request_id="a" * 32,
        session=session,
        client_address="127.0.0.1",
        contract="Administration",
        operation=operation,
        envelope=None,
        settings=SETTINGS,
        contracts=CONTRACTS,
        caller=caller,
    )


def audit_count(session: Session, action: str, object_type: str) -> int:
    session.expire_all()
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_type == object_type)
        )
        or 0
    )
