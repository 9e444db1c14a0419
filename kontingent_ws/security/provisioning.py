"""Creating users and registering systems directly (operators on the server, demo setup, tests).

These functions check data, not roles: the Administration contract applies the role rules
before it calls them; the command line is for the operator who runs the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AppUser, InfoSystem, SystemCertificate, SystemContractGrant, SystemWriteScope
from kontingent_ws.errors import Conflict, ValidationError
from kontingent_ws.security.caller import ROLES, SYSTEM_ADMIN
from kontingent_ws.security.passwords import check_password_policy, encrypt_secret, hash_password
from kontingent_ws.settings import Settings
from kontingent_ws.xmlsig.certs import describe, load_certificate


def new_user(
    session: Session,
    settings: Settings,
    *,
    login: str,
    password: str,
    role: str,
    unit_id: int | None,
    full_name: str,
    email: str | None = None,
) -> AppUser:
    if role not in ROLES:
        raise ValidationError(f"Неизвестная роль: {role}", field="role")
    if role != SYSTEM_ADMIN and unit_id is None:
        raise ValidationError("Для этой роли нужно указать организацию или орган управления", field="unit_id")
    check_password_policy(password)
    if session.scalar(select(AppUser.id).where(AppUser.login == login)) is not None:
        raise Conflict(f"Пользователь с логином «{login}» уже существует", field="login")
    user = AppUser(
        login=login,
        password_hash=hash_password(password),
        digest_secret=encrypt_secret(settings, password),
        role=role,
        org_unit_id=unit_id,
        full_name=full_name,
        email=email,
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def certificate_row(system_id: int, certificate_pem: bytes, *, now: dt.datetime | None = None) -> SystemCertificate:
    """Validate a certificate for registration and build its row."""
    cert = load_certificate(certificate_pem)
    info = describe(cert)
    moment = now or dt.datetime.now(dt.UTC)
    if info.not_after <= moment:
        raise ValidationError("Срок действия сертификата истёк", field="certificate")
    return SystemCertificate(
        system_id=system_id,
        fingerprint_sha256=info.fingerprint,
        subject=info.subject,
        serial_number=str(info.serial_number),
        not_before=info.not_before,
        not_after=info.not_after,
        der=cert.public_bytes(Encoding.DER),
    )


def new_system(
    session: Session,
    *,
    mnemonic: str,
    name: str,
    is_provider: bool,
    is_consumer: bool,
    certificate_pem: bytes,
    write_unit_ids: Iterable[int] = (),
    contracts: Iterable[str] = (),
    owner_unit_id: int | None = None,
) -> InfoSystem:
    if not (is_provider or is_consumer):
        raise ValidationError("Система должна быть поставщиком и/или потребителем данных", field="is_provider")
    if session.scalar(select(InfoSystem.id).where(InfoSystem.mnemonic == mnemonic)) is not None:
        raise Conflict(f"Система с мнемоникой «{mnemonic}» уже зарегистрирована", field="mnemonic")
    system = InfoSystem(
        mnemonic=mnemonic,
        name=name,
        is_provider=is_provider,
        is_consumer=is_consumer,
        is_active=True,
        owner_unit_id=owner_unit_id,
    )
    session.add(system)
    session.flush()
    row = certificate_row(system.id, certificate_pem)
    if session.scalar(
        select(SystemCertificate.id).where(SystemCertificate.fingerprint_sha256 == row.fingerprint_sha256)
    ):
        raise Conflict("Этот сертификат уже зарегистрирован за другой системой", field="certificate")
    session.add(row)
    session.add_all(SystemWriteScope(system_id=system.id, org_unit_id=u) for u in dict.fromkeys(write_unit_ids))
    session.add_all(SystemContractGrant(system_id=system.id, contract=c) for c in dict.fromkeys(contracts))
    session.flush()
    return system
