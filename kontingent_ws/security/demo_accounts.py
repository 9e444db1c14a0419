"""Demo accounts of a generated region: one user per role at different levels, one provider
and one consumer system with freshly generated certificates, and how to call as each."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AppUser, Authority, InfoSystem, Organization
from kontingent_ws.security.caller import AUTHORITY_ADMIN, EMPLOYEE, SYSTEM_ADMIN
from kontingent_ws.security.provisioning import new_system, new_user
from kontingent_ws.settings import Settings

REGISTRY_CONTRACTS = ("Students", "Organizations", "Authorities", "EpguPerformance", "ChangeFeed")
PROVIDER_CONTRACTS = ("Intake",)


@dataclass(frozen=True, kw_only=True)
class DemoUser:
    login: str
    password: str
    role: str
    unit_name: str | None


@dataclass(frozen=True, kw_only=True)
class DemoSystem:
    mnemonic: str
    key_path: Path
    cert_path: Path
    role: str


def self_signed_identity(common_name: str, directory: Path, stem: str) -> tuple[Path, Path]:
    """Write an RSA-3072 key and a two-year self-signed certificate; return their paths."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Демонстрационный регион"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=730))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / f"{stem}.key.pem", directory / f"{stem}.cert.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _password() -> str:
    return f"Demo-{secrets.token_urlsafe(9)}7"


def create_demo_accounts(
    session: Session, settings: Settings, pki_dir: Path
) -> tuple[list[DemoUser], list[DemoSystem]]:
    """Create the demo users and systems once; an existing ``admin`` means they already exist."""
    if session.scalar(select(AppUser.id).where(AppUser.login == "admin")) is not None:
        return [], []
    ministry = session.scalar(select(Authority).where(Authority.parent_id.is_(None)).order_by(Authority.id))
    if ministry is None:
        raise RuntimeError("the region has no root authority: run `kontingent demo` first")
    municipal = session.scalar(select(Authority).where(Authority.parent_id == ministry.id).order_by(Authority.id))
    school = session.scalar(
        select(Organization)
        .where(Organization.type_code == "12", Organization.parent_id == (municipal.id if municipal else ministry.id))
        .order_by(Organization.id)
    )
    plan = [
        ("admin", SYSTEM_ADMIN, None, "Администратор системы"),
        ("ministry", EMPLOYEE, ministry, "Специалист министерства"),
        ("municipal_admin", AUTHORITY_ADMIN, municipal, "Администратор муниципального органа управления"),
        ("school", EMPLOYEE, school, "Сотрудник школы"),
    ]
    users = []
    for login, role, unit, full_name in plan:
        if role != SYSTEM_ADMIN and unit is None:
            continue
        password = _password()
        new_user(
            session,
            settings,
            login=login,
            password=password,
            role=role,
            unit_id=unit.id if unit else None,
            full_name=full_name,
        )
        users.append(DemoUser(login=login, password=password, role=role, unit_name=unit.short_name if unit else None))
    systems = []
    provider_key, provider_cert = self_signed_identity("demo-school-is", pki_dir, "provider")
    new_system(
        session,
        mnemonic="DEMO_SCHOOL_IS",
        name="Демонстрационная ИС школ муниципалитета",
        is_provider=True,
        is_consumer=False,
        certificate_pem=provider_cert.read_bytes(),
        write_unit_ids=[municipal.id if municipal else ministry.id],
        contracts=PROVIDER_CONTRACTS,
    )
    systems.append(
        DemoSystem(mnemonic="DEMO_SCHOOL_IS", key_path=provider_key, cert_path=provider_cert, role="provider")
    )
    consumer_key, consumer_cert = self_signed_identity("demo-epgu", pki_dir, "consumer")
    new_system(
        session,
        mnemonic="DEMO_EPGU",
        name="Демонстрационный потребитель (ЕПГУ)",
        is_provider=False,
        is_consumer=True,
        certificate_pem=consumer_cert.read_bytes(),
        contracts=REGISTRY_CONTRACTS,
    )
    systems.append(DemoSystem(mnemonic="DEMO_EPGU", key_path=consumer_key, cert_path=consumer_cert, role="consumer"))
    return users, systems


def how_to_call(base_url: str, users: list[DemoUser], systems: list[DemoSystem]) -> str:
    """Russian/English instructions printed by ``make run``."""
    lines = ["Demo accounts (WS-Security UsernameToken, PasswordDigest):"]
    lines += [f"  {u.login:<16} {u.password:<20} {u.role:<16} {u.unit_name or 'весь регион'}" for u in users]
    lines += ["", "Demo systems (WS-Security X.509 signature of the Body, RSA-SHA256):"]
    lines += [f"  {s.mnemonic:<16} {s.role:<9} key={s.key_path} cert={s.cert_path}" for s in systems]
    lines += [
        "",
        "Call as a person:",
        "  from zeep import Client; from zeep.wsse.username import UsernameToken",
        f"  c = Client('{base_url}/ws/ServiceInfo?wsdl', wsse=UsernameToken('admin', '<password>', use_digest=True))",
        "  print(c.service.GetServiceInfo())",
        "Call as a system:",
        "  import xmlsec; from zeep.wsse.signature import BinarySignature",
        "  sig = BinarySignature('<key.pem>', '<cert.pem>', signature_method=xmlsec.Transform.RSA_SHA256,",
        "                        digest_method=xmlsec.Transform.SHA256)",
        f"  c = Client('{base_url}/ws/ServiceInfo?wsdl', wsse=sig)",
    ]
    return "\n".join(lines)


def existing_systems(session: Session) -> list[str]:
    return list(session.scalars(select(InfoSystem.mnemonic).order_by(InfoSystem.id)))
