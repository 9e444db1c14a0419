"""Registering information systems: certificates, write scopes, contract grants."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from kontingent_ws.errors import AccessDenied, Conflict, NotFound, ValidationError
from kontingent_ws.usecases import systems
from tests.adminkit import AdminWorld, admin_call, audit_count, make_admin_world
from tests.pki import RsaIdentity, make_rsa_identity


@pytest.fixture
def world(session: Session) -> AdminWorld:
    return make_admin_world(session)


@pytest.fixture(scope="module")
def school_cert() -> RsaIdentity:
    return make_rsa_identity("Сетевой город. Образование")


def _register(session: Session, world: AdminWorld, cert_pem: bytes, **overrides: object) -> int:
    values: dict[str, object] = {
        "mnemonic": "NETSCHOOL",
        "name": "Сетевой город. Образование",
        "is_provider": True,
        "is_consumer": False,
        "certificate_pem": cert_pem.decode(),
        "write_unit_ids": [world.region.north_id],
        "contracts": ["ServiceInfo"],
        "owner_unit_id": None,
    }
    values.update(overrides)
    system_id = systems.register_system(admin_call(session, world.admin, "RegisterSystem"), **values)  # type: ignore[arg-type]
    session.commit()
    return system_id


def _small_key_certificate() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the refusal of a weak key is what is tested
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_register_and_list_a_provider(session: Session, world: AdminWorld, school_cert: RsaIdentity) -> None:
    system_id = _register(session, world, school_cert.cert_pem)

    [listed] = systems.list_systems(admin_call(session, world.admin, "ListSystems"))
    assert (listed.id, listed.mnemonic, listed.is_provider, listed.is_consumer, listed.is_active) == (
        system_id,
        "NETSCHOOL",
        True,
        False,
        True,
    )
    assert listed.write_unit_ids == [world.region.north_id]
    assert listed.contracts == ["ServiceInfo"]
    [cert] = listed.certificates
    assert cert.fingerprint == school_cert.fingerprint
    assert cert.valid_now and cert.revoked_at is None
    assert cert.not_after.tzinfo is not None
    assert audit_count(session, "admin", "info_system") == 1


def test_bare_base64_der_is_accepted(session: Session, world: AdminWorld, school_cert: RsaIdentity) -> None:
    der = school_cert.cert.public_bytes(serialization.Encoding.DER)
    _register(session, world, base64.encodebytes(der))
    [listed] = systems.list_systems(admin_call(session, world.admin))
    assert listed.certificates[0].fingerprint == school_cert.fingerprint


@pytest.mark.parametrize(
    ("pem", "fragment"),
    [
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "X.509"),
        (b"not a certificate", "base64"),
        (None, "короче 2048"),
        (
            make_rsa_identity(
                "expired",
                not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
            ).cert_pem,
            "истёк",
        ),
    ],
)
def test_unacceptable_certificates_are_refused(
    session: Session, world: AdminWorld, pem: bytes | None, fragment: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _register(session, world, pem if pem is not None else _small_key_certificate())
    assert refused.value.field == "CertificatePem"
    assert fragment in refused.value.message


def test_duplicates_and_bad_references(session: Session, world: AdminWorld, school_cert: RsaIdentity) -> None:
    _register(session, world, school_cert.cert_pem)
    other = make_rsa_identity("other").cert_pem
    with pytest.raises(Conflict):
        _register(session, world, other)  # same mnemonic
    with pytest.raises(Conflict) as same_cert:
        _register(session, world, school_cert.cert_pem, mnemonic="OTHER")
    assert "NETSCHOOL" in same_cert.value.message
    with pytest.raises(NotFound):
        _register(session, world, other, mnemonic="OTHER", write_unit_ids=[999_999])
    with pytest.raises(ValidationError) as contract:
        _register(session, world, other, mnemonic="OTHER", contracts=["NoSuchContract"])
    assert contract.value.field == "Contracts"
    with pytest.raises(ValidationError):
        _register(session, world, other, mnemonic="OTHER", is_provider=False, is_consumer=False)
    with pytest.raises(ValidationError) as scopes:
        _register(session, world, other, mnemonic="EPGU", is_provider=False, is_consumer=True)
    assert scopes.value.field == "WriteUnitIds"


def test_update_replaces_scopes_and_grants_and_keeps_the_rest(
    session: Session, world: AdminWorld, school_cert: RsaIdentity
) -> None:
    system_id = _register(session, world, school_cert.cert_pem)
    call = admin_call(session, world.admin, "UpdateSystem")

    systems.update_system(call, system_id=system_id, write_unit_ids=[world.region.south_id, world.region.north_id])
    systems.update_system(call, system_id=system_id, name="СГО", is_active=False, contracts=[])
    session.commit()

    [listed] = systems.list_systems(call)
    assert (listed.name, listed.is_active, listed.contracts) == ("СГО", False, [])
    assert sorted(listed.write_unit_ids) == sorted([world.region.south_id, world.region.north_id])
    with pytest.raises(NotFound):
        systems.update_system(call, system_id=777, name="x")


def test_add_and_revoke_certificates(session: Session, world: AdminWorld, school_cert: RsaIdentity) -> None:
    system_id = _register(session, world, school_cert.cert_pem)
    call = admin_call(session, world.admin, "AddSystemCertificate")
    successor = make_rsa_identity("Сетевой город 2025")

    assert systems.add_system_certificate(call, system_id=system_id, certificate_pem=successor.cert_pem.decode()) == (
        successor.fingerprint
    )
    colon_form = ":".join(school_cert.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    systems.revoke_system_certificate(call, fingerprint=colon_form)
    systems.revoke_system_certificate(call, fingerprint=school_cert.fingerprint)  # again: no change
    session.commit()

    [listed] = systems.list_systems(call)
    states = {c.fingerprint: (c.revoked_at is not None, c.valid_now) for c in listed.certificates}
    assert states == {school_cert.fingerprint: (True, False), successor.fingerprint: (False, True)}
    assert audit_count(session, "admin", "system_certificate") == 1
    with pytest.raises(NotFound):
        systems.revoke_system_certificate(call, fingerprint="0" * 64)
    with pytest.raises(ValidationError):
        systems.revoke_system_certificate(call, fingerprint="xyz")


def test_only_the_system_administrator_manages_systems(
    session: Session, world: AdminWorld, school_cert: RsaIdentity
) -> None:
    for caller in (world.north_admin, world.north_employee):
        with pytest.raises(AccessDenied):
            systems.list_systems(admin_call(session, caller))
        with pytest.raises(AccessDenied):
            systems.register_system(
                admin_call(session, caller),
                mnemonic="X1",
                name="x",
                is_provider=True,
                is_consumer=False,
                certificate_pem=school_cert.cert_pem.decode(),
                write_unit_ids=[],
                contracts=[],
                owner_unit_id=None,
            )
