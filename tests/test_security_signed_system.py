"""A signed call's system as read by the authenticator (two prepared statements on PostgreSQL):
its grants, write scopes and roles, and every change of its registration seen by the next call
although the certificate and its key are parsed once per process."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import InfoSystem, SystemCertificate, SystemContractGrant
from kontingent_ws.errors import AccessDenied, AuthenticationError
from kontingent_ws.security.authenticate import DefaultAuthenticator
from kontingent_ws.security.caller import Caller
from kontingent_ws.security.provisioning import new_system
from kontingent_ws.settings import Settings
from tests.authkit import SmallRegion, call_context, make_small_region, signed_envelope
from tests.pki import make_rsa_identity, write_pem_files


def authenticate(session: Session, paths: tuple[Path, Path], contract: str) -> Caller:
    settings = Settings(secret_key=Fernet.generate_key().decode())
    call = call_context(session, settings, envelope=signed_envelope(*paths), contract=contract)
    try:
        return DefaultAuthenticator().authenticate(call)
    finally:
        session.rollback()


@pytest.fixture
def provider(session: Session, tmp_path: Path) -> tuple[SmallRegion, tuple[Path, Path], int]:
    region = make_small_region(session)
    identity = make_rsa_identity("school-is")
    paths = write_pem_files(identity, tmp_path)
    system = new_system(
        session,
        mnemonic="SCHOOL_IS",
        name="ИС школы",
        is_provider=True,
        is_consumer=True,
        certificate_pem=identity.cert_pem,
        write_unit_ids=[region.north_school_id, region.south_school_id],
        contracts=["Students", "EpguPerformance"],
        owner_unit_id=region.north_id,
    )
    session.commit()
    return region, paths, system.id


def test_the_system_its_grants_and_write_scopes_are_read(
    session: Session, provider: tuple[SmallRegion, tuple[Path, Path], int]
) -> None:
    region, paths, system_id = provider
    caller = authenticate(session, paths, "Students")
    assert (caller.kind, caller.name, caller.system_id, caller.unit_id) == (
        "system", "SCHOOL_IS", system_id, region.north_id,
    )  # fmt: skip
    assert caller.contracts == frozenset({"Students", "EpguPerformance"})
    assert caller.write_unit_ids == frozenset({region.north_school_id, region.south_school_id})
    assert (caller.is_provider, caller.is_consumer) == (True, True)


def test_a_change_of_the_registration_is_seen_by_the_next_call(
    session: Session, provider: tuple[SmallRegion, tuple[Path, Path], int]
) -> None:
    _, paths, system_id = provider
    assert authenticate(session, paths, "Students").system_id == system_id  # the certificate is parsed and kept

    session.execute(
        SystemContractGrant.__table__.delete().where(
            SystemContractGrant.system_id == system_id, SystemContractGrant.contract == "Students"
        )
    )
    session.commit()
    with pytest.raises(AccessDenied):
        authenticate(session, paths, "Students")
    assert authenticate(session, paths, "EpguPerformance").contracts == frozenset({"EpguPerformance"})

    system = session.get(InfoSystem, system_id)
    assert system is not None
    system.is_active = False
    session.commit()
    with pytest.raises(AuthenticationError, match="отключена"):
        authenticate(session, paths, "EpguPerformance")
    system.is_active = True
    certificate = session.scalar(select(SystemCertificate).where(SystemCertificate.system_id == system_id))
    assert certificate is not None
    certificate.revoked_at = dt.datetime.now(dt.UTC)
    session.commit()
    with pytest.raises(AuthenticationError, match="отозван"):
        authenticate(session, paths, "EpguPerformance")
    session.delete(certificate)
    session.commit()
    with pytest.raises(AuthenticationError, match="не зарегистрирован"):
        authenticate(session, paths, "EpguPerformance")
