"""Authentication over a live gunicorn server: each refusal is a fault, audited, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import requests
import zeep
from cryptography.fernet import Fernet
from lxml import etree
from sqlalchemy import func, select
from zeep.wsse.username import UsernameToken

from db.engine import make_engine, make_session_factory
from db.models import AppUser, AuditEvent, InfoSystem, WsNonce
from kontingent_ws.client import SystemSignature
from kontingent_ws.security.caller import AUTHORITY_ADMIN
from kontingent_ws.security.provisioning import new_system, new_user
from kontingent_ws.settings import Settings
from tests.authkit import make_small_region
from tests.live import read_fault, zeep_client
from tests.pki import make_rsa_identity, write_pem_files

PASSWORD = "Live-password-2024"
WSDL = Path(__file__).resolve().parent.parent / "wsdl" / "ServiceInfo.wsdl"


def _request(wsse: object) -> bytes:
    """A GetServiceInfo request exactly as zeep would send it with ``wsse``."""
    client = zeep.Client(str(WSDL), wsse=wsse)
    return etree.tostring(client.create_message(client.service, "GetServiceInfo"))


def _post(base_url: str, body: bytes, path: str = "/ws/ServiceInfo") -> tuple[int, bytes]:
    answer = requests.post(
        f"{base_url}{path}", data=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30
    )
    return answer.status_code, answer.content


def _signature(key: Path, cert: Path) -> SystemSignature:
    """zeep's BinarySignature (RSA-SHA256) for requests; the server does not sign its answers here."""
    return SystemSignature(str(key), str(cert))


def test_refusals_over_a_live_server(live_server_factory: Callable[..., str], db_url: str, tmp_path: Path) -> None:
    secret = Fernet.generate_key().decode()
    settings = Settings(database_url=db_url, secret_key=secret)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    consumer = make_rsa_identity("live-consumer")
    key, cert = write_pem_files(consumer, tmp_path / "consumer")
    stranger_key, stranger_cert = write_pem_files(make_rsa_identity("stranger"), tmp_path / "stranger")
    with factory.begin() as session:
        region = make_small_region(session)
        new_user(
            session,
            settings,
            login="north_admin",
            password=PASSWORD,
            role=AUTHORITY_ADMIN,
            unit_id=region.north_id,
            full_name="Администратор",
        )
        new_system(
            session,
            mnemonic="LIVE_EPGU",
            name="ЕПГУ",
            is_provider=False,
            is_consumer=True,
            certificate_pem=consumer.cert_pem,
            contracts=["Students"],
        )
    base_url = live_server_factory({"KONTINGENT_SECRET_KEY": secret})

    def counts() -> tuple[int, int, int, int]:
        with factory() as session:
            return (
                session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth_failure"))
                or 0,
                session.scalar(select(func.count()).select_from(WsNonce)) or 0,
                session.scalar(select(func.sum(AppUser.failed_logins))) or 0,
                session.scalar(select(func.count()).select_from(InfoSystem)) or 0,
            )

    try:
        # Accepted: a person with PasswordDigest, a registered system with a signed body.
        person = zeep_client(base_url, "ServiceInfo", wsse=UsernameToken("north_admin", PASSWORD, use_digest=True))
        assert person.service.GetServiceInfo().Database.State == "ok"
        system = zeep_client(base_url, "ServiceInfo", wsse=_signature(key, cert))
        assert system.service.GetServiceInfo().OrganizationCount == 3

        def refused(body: bytes, fragment: str, *, failed_logins: int = 0, path: str = "/ws/ServiceInfo") -> None:
            before = counts()
            status, answer = _post(base_url, body, path)
            fault = read_fault(answer)
            assert (status, fault.code) == (500, "Client.Authentication"), fault
            assert fragment in fault.message
            after = counts()
            # One more audit row; no nonce, no system, no other change (bar the failed-login counter).
            assert after == (before[0] + 1, before[1], before[2] + failed_logins, before[3])

        replayed = _request(UsernameToken("north_admin", PASSWORD, use_digest=True))
        assert _post(base_url, replayed)[0] == 200
        refused(replayed, "Повторное использование Nonce")
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
        refused(_request(UsernameToken("north_admin", PASSWORD, use_digest=True, created=stale)), "Created")
        refused(
            _request(UsernameToken("north_admin", "Wrong-password-1", use_digest=True)),
            "Неверное имя пользователя или пароль",
            failed_logins=1,
        )
        refused(_request(_signature(stranger_key, stranger_cert)), "не зарегистрирован")
        students = zeep.Client(str(WSDL.with_name("Students.wsdl")), wsse=_signature(key, cert))
        signed = students.create_message(students.service, "SearchStudents", LastName="Иванов", Page=1, PageSize=10)
        tampered = etree.fromstring(etree.tostring(signed))
        name = next(e for e in tampered.iter() if isinstance(e.tag, str) and e.text == "Иванов")
        name.text = "Петров"
        refused(etree.tostring(tampered), "Подпись", path="/ws/Students")
        anonymous = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' + (
            b'<GetServiceInfo xmlns="urn://kontingent-region.ru/ws/serviceinfo/1.0"/></s:Body></s:Envelope>'
        )
        refused(anonymous, "без учётных данных")
    finally:
        engine.dispose()
