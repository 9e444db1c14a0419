"""Runs the role table (tests/rolematrix.py): every operation as every caller, in process.

zeep builds each request from the golden WSDL with the caller's WS-Security header; the real
WSGI application answers. A mismatch list is asserted empty, so one run reports every
deviation from the role model at once.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import xmlsec
import zeep
from cryptography.fernet import Fernet
from lxml import etree
from sqlalchemy.orm import Session
from zeep.wsse.signature import BinarySignature
from zeep.wsse.username import UsernameToken

from db.engine import make_engine, make_session_factory
from kontingent_ws.app import make_app
from kontingent_ws.security.caller import AUTHORITY_ADMIN, EMPLOYEE, SYSTEM_ADMIN
from kontingent_ws.security.provisioning import new_system, new_user
from kontingent_ws.settings import Settings
from tests.authkit import SmallRegion, make_small_region
from tests.live import call_wsgi, read_fault
from tests.pki import make_rsa_identity, write_pem_files
from tests.rolematrix import AUTH, CALLERS, DENIED, OK, ROWS, World

WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"
PASSWORD = "Matrix-password-2024"
REGISTRY_CONTRACTS = ["Students", "Organizations", "Authorities", "EpguPerformance", "ChangeFeed"]


def _setup(session: Session, settings: Settings, pki: Path) -> tuple[World, dict[str, Any]]:
    region = make_small_region(session)
    user_ids: dict[str, int] = {}
    system_ids: dict[str, int] = {}
    for login, role, unit in [
        ("admin", SYSTEM_ADMIN, None),
        ("ministry", EMPLOYEE, region.ministry_id),
        ("north_admin", AUTHORITY_ADMIN, region.north_id),
        ("north_school", EMPLOYEE, region.north_school_id),
        ("north_extra", EMPLOYEE, region.north_school_id),
        ("south_extra", EMPLOYEE, region.south_school_id),
    ]:
        user = new_user(session, settings, login=login, password=PASSWORD, role=role, unit_id=unit, full_name=login)
        user_ids[login] = user.id
    wsse: dict[str, Any] = {"anonymous": None}
    for login in ("admin", "ministry", "north_admin", "north_school"):
        wsse[login] = UsernameToken(login, PASSWORD, use_digest=True)
    for name, consumer, contracts, scopes in [
        ("epgu", True, REGISTRY_CONTRACTS, []),
        ("provider", False, ["Intake"], [region.north_id]),
    ]:
        identity = make_rsa_identity(name)
        key, cert = write_pem_files(identity, pki / name)
        system_ids[name] = new_system(
            session,
            mnemonic=name.upper(),
            name=name,
            is_provider=not consumer,
            is_consumer=consumer,
            certificate_pem=identity.cert_pem,
            contracts=contracts,
            write_unit_ids=scopes,
        ).id
        wsse[name] = BinarySignature(
            str(key), str(cert), signature_method=xmlsec.Transform.RSA_SHA256, digest_method=xmlsec.Transform.SHA256
        )
    session.commit()
    world = World(
        **{f.name: getattr(region, f.name) for f in fields(SmallRegion)}, user_ids=user_ids, system_ids=system_ids
    )
    return world, wsse


def _outcome(body: bytes, status: int) -> str:
    if status == 200:
        return OK
    fault = read_fault(body)
    return {"Client.AccessDenied": DENIED, "Client.Authentication": AUTH}.get(
        fault.code, f"{fault.code}: {fault.message}"
    )


def test_every_operation_as_every_caller(db_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=db_url, secret_key=Fernet.generate_key().decode())
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        region, wsse = _setup(session, settings, tmp_path)
    app = make_app(settings, session_factory=factory)
    clients: dict[tuple[str, str], zeep.Client] = {}
    mismatches = []
    checked = 0
    try:
        for row in ROWS:
            for caller in CALLERS:
                key = (row.contract, caller)
                if key not in clients:
                    clients[key] = zeep.Client(str(WSDL_DIR / f"{row.contract}.wsdl"), wsse=wsse[caller])
                client = clients[key]
                envelope = client.create_message(client.service, row.operation, **row.params(region, caller))
                answer = call_wsgi(app, f"/ws/{row.contract}", etree.tostring(envelope))
                got, want = _outcome(answer.body, answer.status), row.outcome_for(caller)
                checked += 1
                if got != want and not (":" not in want and got.split(":")[0] == want):
                    mismatches.append(f"{row.contract}.{row.operation} as {caller}: expected {want}, got {got}")
    finally:
        engine.dispose()
    assert checked == len(ROWS) * len(CALLERS)
    assert mismatches == [], "\n".join(mismatches)


def test_table_covers_every_served_operation() -> None:
    from kontingent_ws.registry import CONTRACTS

    served = {
        (contract.name, name)
        for contract in CONTRACTS
        for service in contract.services
        for name in service.public_methods
    }
    covered = {(row.contract, row.operation) for row in ROWS}
    assert served - covered == set(), "operations without a row in tests/rolematrix.py"
