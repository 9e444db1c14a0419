"""Registered information systems: data providers and consumers, their certificates, scopes, grants.

Only a system administrator manages systems. A certificate is accepted when it parses, carries
an RSA key of at least 2048 bits, is valid now and is not registered yet (by SHA-256 fingerprint).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from sqlalchemy import delete, select

from db.dates import as_utc
from db.models import InfoSystem, OrgUnit, SystemCertificate, SystemContractGrant, SystemWriteScope, utcnow
from kontingent_ws.call import CallContext
from kontingent_ws.errors import Conflict, NotFound, SignatureError, ValidationError
from kontingent_ws.security import audit
from kontingent_ws.security.permissions import MANAGE_SYSTEMS, require
from kontingent_ws.security.provisioning import certificate_row, new_system
from kontingent_ws.security.scope import caller_of
from kontingent_ws.xmlsig.certs import (
    certificate_pem as certificate_pem_bytes,
)
from kontingent_ws.xmlsig.certs import (
    check_validity,
    describe,
    load_certificate,
    load_certificate_base64,
    rsa_public_key,
)

MNEMONIC_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,99}$")
FINGERPRINT_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, kw_only=True)
class CertificateView:
    """A registered certificate of a system."""

    fingerprint: str
    subject: str
    serial_number: str
    not_before: dt.datetime
    not_after: dt.datetime
    revoked_at: dt.datetime | None
    valid_now: bool
    """Not revoked and within its validity period at the time of the query."""


@dataclass(frozen=True, kw_only=True)
class SystemView:
    """A registered system with everything that governs its access."""

    id: int
    mnemonic: str
    name: str
    is_provider: bool
    is_consumer: bool
    is_active: bool
    owner_unit_id: int | None
    write_unit_ids: list[int]
    contracts: list[str]
    certificates: list[CertificateView]


def register_system(
    call: CallContext,
    *,
    mnemonic: str,
    name: str,
    is_provider: bool,
    is_consumer: bool,
    certificate_pem: str,
    write_unit_ids: Sequence[int],
    contracts: Sequence[str],
    owner_unit_id: int | None,
) -> int:
    """Register a system with its first certificate; return its id."""
    require(caller_of(call), MANAGE_SYSTEMS)
    mnemonic = mnemonic.strip()
    if not MNEMONIC_PATTERN.match(mnemonic):
        raise ValidationError(
            "Мнемоника системы: от 2 до 100 латинских букв, цифр или знаков _ . -", field="Mnemonic"
        )
    name = _name(name)
    if not (is_provider or is_consumer):
        raise ValidationError("Система должна быть поставщиком и/или потребителем данных", field="IsProvider")
    _check_write_scopes(call, write_unit_ids, is_provider=is_provider)
    _check_contracts(call, contracts)
    if owner_unit_id is not None and call.session.get(OrgUnit, owner_unit_id) is None:
        raise NotFound(f"Подразделение с идентификатором {owner_unit_id} не найдено", field="OwnerUnitId")
    cert = _acceptable_certificate(call, certificate_pem)
    if call.session.scalar(select(InfoSystem.id).where(InfoSystem.mnemonic == mnemonic)) is not None:
        raise Conflict(f"Система с мнемоникой «{mnemonic}» уже зарегистрирована", field="Mnemonic")
    system = new_system(
        call.session,
        mnemonic=mnemonic,
        name=name,
        is_provider=is_provider,
        is_consumer=is_consumer,
        certificate_pem=certificate_pem_bytes(cert),
        write_unit_ids=write_unit_ids,
        contracts=contracts,
        owner_unit_id=owner_unit_id,
    )
    audit.record(
        call,
        audit.ADMIN,
        object_type="info_system",
        object_id=system.id,
        details=f"Зарегистрирована система {mnemonic}, сертификат {describe(cert).fingerprint}",
    )
    return system.id


def update_system(
    call: CallContext,
    *,
    system_id: int,
    name: str | None = None,
    is_active: bool | None = None,
    write_unit_ids: Sequence[int] | None = None,
    contracts: Sequence[str] | None = None,
) -> None:
    """Change a system's name, activity, write scopes or contract grants (``None`` keeps a value,
    a list replaces the current one)."""
    require(caller_of(call), MANAGE_SYSTEMS)
    system = _system(call, system_id)
    new_name = _name(name) if name is not None else system.name
    if write_unit_ids is not None:
        _check_write_scopes(call, write_unit_ids, is_provider=system.is_provider)
    if contracts is not None:
        _check_contracts(call, contracts)
    system.name = new_name
    if is_active is not None:
        system.is_active = is_active
    call.session.flush()
    _replace_scopes_and_grants(call, system.id, write_unit_ids, contracts)
    audit.record(
        call, audit.ADMIN, object_type="info_system", object_id=system.id, details=f"Изменена система {system.mnemonic}"
    )


def add_system_certificate(call: CallContext, *, system_id: int, certificate_pem: str) -> str:
    """Register one more certificate of a system (e.g. before the current one expires); return its fingerprint."""
    require(caller_of(call), MANAGE_SYSTEMS)
    system = _system(call, system_id)
    cert = _acceptable_certificate(call, certificate_pem)
    row = certificate_row(system.id, certificate_pem_bytes(cert))
    call.session.add(row)
    call.session.flush()
    fingerprint = row.fingerprint_sha256
    audit.record(
        call,
        audit.ADMIN,
        object_type="info_system",
        object_id=system.id,
        details=f"Системе {system.mnemonic} добавлен сертификат {fingerprint}",
    )
    return fingerprint


def revoke_system_certificate(call: CallContext, *, fingerprint: str) -> None:
    """Revoke a certificate: calls and packets signed with it are refused from now on.

    Revoking a revoked certificate again changes nothing (its revocation time is kept)."""
    require(caller_of(call), MANAGE_SYSTEMS)
    normalized = re.sub(r"[\s:]", "", fingerprint).lower()
    if not FINGERPRINT_PATTERN.match(normalized):
        raise ValidationError(
            "Отпечаток сертификата – 64 шестнадцатеричных символа (SHA-256)", field="Fingerprint"
        )
    cert = call.session.scalar(select(SystemCertificate).where(SystemCertificate.fingerprint_sha256 == normalized))
    if cert is None:
        raise NotFound(f"Сертификат с отпечатком {normalized} не зарегистрирован", field="Fingerprint")
    if cert.revoked_at is not None:
        return
    cert.revoked_at = utcnow()
    call.session.flush()
    audit.record(
        call, audit.ADMIN, object_type="system_certificate", object_id=normalized, details="Сертификат отозван"
    )


def list_systems(call: CallContext) -> list[SystemView]:
    """Every registered system, by mnemonic, with certificates, write scopes and grants."""
    require(caller_of(call), MANAGE_SYSTEMS)
    session = call.session
    scopes: dict[int, list[int]] = {}
    for system_id, unit_id in session.execute(
        select(SystemWriteScope.system_id, SystemWriteScope.org_unit_id).order_by(SystemWriteScope.org_unit_id)
    ).tuples():
        scopes.setdefault(system_id, []).append(unit_id)
    grants: dict[int, list[str]] = {}
    for system_id, contract in session.execute(
        select(SystemContractGrant.system_id, SystemContractGrant.contract).order_by(SystemContractGrant.contract)
    ).tuples():
        grants.setdefault(system_id, []).append(contract)
    certificates: dict[int, list[CertificateView]] = {}
    now = utcnow()
    for cert in session.scalars(select(SystemCertificate).order_by(SystemCertificate.id)):
        certificates.setdefault(cert.system_id, []).append(_certificate_view(cert, now))
    return [
        SystemView(
            id=system.id,
            mnemonic=system.mnemonic,
            name=system.name,
            is_provider=system.is_provider,
            is_consumer=system.is_consumer,
            is_active=system.is_active,
            owner_unit_id=system.owner_unit_id,
            write_unit_ids=scopes.get(system.id, []),
            contracts=grants.get(system.id, []),
            certificates=certificates.get(system.id, []),
        )
        for system in session.scalars(select(InfoSystem).order_by(InfoSystem.mnemonic))
    ]


def _certificate_view(cert: SystemCertificate, now: dt.datetime) -> CertificateView:
    not_before, not_after = as_utc(cert.not_before), as_utc(cert.not_after)
    return CertificateView(
        fingerprint=cert.fingerprint_sha256,
        subject=cert.subject,
        serial_number=cert.serial_number,
        not_before=not_before,
        not_after=not_after,
        revoked_at=as_utc(cert.revoked_at) if cert.revoked_at else None,
        valid_now=cert.revoked_at is None and not_before <= now <= not_after,
    )



def _system(call: CallContext, system_id: int) -> InfoSystem:
    system = call.session.get(InfoSystem, system_id)
    if system is None:
        raise NotFound(f"Информационная система с идентификатором {system_id} не найдена", field="SystemId")
    return system


def _name(value: str) -> str:
    value = " ".join(value.split())
    if not value or len(value) > 500:
        raise ValidationError("Наименование системы обязательно и не длиннее 500 символов", field="Name")
    return value


def _check_write_scopes(call: CallContext, unit_ids: Sequence[int], *, is_provider: bool) -> None:
    if unit_ids and not is_provider:
        raise ValidationError("Области записи задаются только поставщику данных", field="WriteUnitIds")
    if len(set(unit_ids)) != len(unit_ids):
        raise ValidationError("Подразделения в WriteUnitIds повторяются", field="WriteUnitIds")
    found = set(call.session.scalars(select(OrgUnit.id).where(OrgUnit.id.in_(unit_ids)))) if unit_ids else set()
    missing = [unit_id for unit_id in unit_ids if unit_id not in found]
    if missing:
        raise NotFound(f"Подразделение с идентификатором {missing[0]} не найдено", field="WriteUnitIds")


def _check_contracts(call: CallContext, contracts: Sequence[str]) -> None:
    served = {contract.name for contract in call.contracts}
    unknown = [name for name in contracts if name not in served]
    if unknown:
        raise ValidationError(
            f"Неизвестный контракт «{unknown[0]}»; публикуются: {', '.join(sorted(served))}", field="Contracts"
        )
    if len(set(contracts)) != len(contracts):
        raise ValidationError("Контракты в Contracts повторяются", field="Contracts")


def _acceptable_certificate(call: CallContext, pem: str) -> x509.Certificate:
    """Parse a PEM (or bare base64 DER) certificate and refuse one that cannot sign calls now."""
    try:
        text = pem.strip()
        cert = load_certificate(text.encode("ascii")) if "-----BEGIN" in text else load_certificate_base64(text)
        rsa_public_key(cert)
        check_validity(cert, utcnow())
    except (SignatureError, UnicodeEncodeError) as exc:
        message = exc.message if isinstance(exc, SignatureError) else "Сертификат содержит недопустимые символы"
        raise ValidationError(message, field="CertificatePem") from exc
    fingerprint = describe(cert).fingerprint
    owner = call.session.scalar(
        select(InfoSystem.mnemonic)
        .join(SystemCertificate, SystemCertificate.system_id == InfoSystem.id)
        .where(SystemCertificate.fingerprint_sha256 == fingerprint)
    )
    if owner is not None:
        raise Conflict(f"Сертификат {fingerprint} уже зарегистрирован за системой «{owner}»", field="CertificatePem")
    return cert


def _replace_scopes_and_grants(
    call: CallContext, system_id: int, unit_ids: Sequence[int] | None, contracts: Sequence[str] | None
) -> None:
    session = call.session
    if unit_ids is not None:
        session.execute(delete(SystemWriteScope).where(SystemWriteScope.system_id == system_id))
        session.add_all(SystemWriteScope(system_id=system_id, org_unit_id=unit_id) for unit_id in unit_ids)
    if contracts is not None:
        session.execute(delete(SystemContractGrant).where(SystemContractGrant.system_id == system_id))
        session.add_all(SystemContractGrant(system_id=system_id, contract=name) for name in contracts)
    session.flush()
