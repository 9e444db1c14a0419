"""EpguPerformance and ChangeFeed over a live gunicorn, called with zeep as a consumer system
signing the Body with its registered certificate (RSA-SHA256); answers are checked against the
rows in the database and the response bodies against the schema of the published WSDL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xmlsec
import zeep
from lxml import etree
from sqlalchemy import select
from zeep.plugins import HistoryPlugin
from zeep.wsse.signature import BinarySignature

from db.engine import make_engine, make_session_factory
from db.models import AuditEvent, DiaryMark
from kontingent_ws.security.provisioning import new_system
from kontingent_ws.usecases.changefeed import record_change
from tests.epgukit import Diary, make_diary
from tests.live import SOAP11_NS, zeep_client
from tests.pki import make_rsa_identity, write_pem_files

pytestmark = pytest.mark.live
WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"
XS = "http://www.w3.org/2001/XMLSchema"


def wsdl_schema(contract: str) -> etree.XMLSchema:
    wsdl = etree.parse(str(WSDL_DIR / f"{contract}.wsdl"))
    schema = wsdl.find(f".//{{{XS}}}schema")
    return etree.XMLSchema(etree.fromstring(etree.tostring(schema)))  # with the namespaces in scope


class RequestSignature(BinarySignature):
    """zeep's BinarySignature for requests; the service does not sign its answers (TLS protects them)."""

    def verify(self, envelope: etree._Element) -> etree._Element:
        return envelope


def signer(directory: Path, name: str) -> tuple[bytes, BinarySignature]:
    identity = make_rsa_identity(name)
    key, cert = write_pem_files(identity, directory / name)
    signature = RequestSignature(
        str(key), str(cert), signature_method=xmlsec.Transform.RSA_SHA256, digest_method=xmlsec.Transform.SHA256
    )
    return identity.cert_pem, signature


@pytest.fixture
def region(db_url: str, tmp_path: Path) -> tuple[Diary, BinarySignature, BinarySignature]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            diary = make_diary(session)
            consumer_cert, consumer = signer(tmp_path, "epgu")
            provider_cert, provider = signer(tmp_path, "school-is")
            new_system(
                session,
                mnemonic="EPGU",
                name="ЕПГУ",
                is_provider=False,
                is_consumer=True,
                certificate_pem=consumer_cert,
                contracts=["EpguPerformance", "ChangeFeed"],
            )
            new_system(
                session,
                mnemonic="SCHOOL_IS",
                name="ИС школы",
                is_provider=True,
                is_consumer=False,
                certificate_pem=provider_cert,
                contracts=["Intake"],
                write_unit_ids=[diary.region.north_id],
            )
            record_change(session, "organization", diary.region.north_school_id, "upsert")
            record_change(session, "student", diary.pupil_id, "upsert", org_unit_id=diary.region.north_school_id)
            record_change(session, "student", diary.teen_id, "upsert", org_unit_id=diary.region.north_school_id)
            record_change(session, "authority", diary.region.north_id, "upsert")
            record_change(session, "enrolment", 987654, "delete")
            session.commit()
    finally:
        engine.dispose()
    return diary, consumer, provider


def checked(history: HistoryPlugin, contract: str, answer: Any) -> Any:
    """``answer`` after checking the raw response body against the schema of the golden WSDL."""
    received = history.last_received
    assert received is not None
    body = received["envelope"].find(f"{{{SOAP11_NS}}}Body")
    response = body[0]
    assert wsdl_schema(contract).validate(response), wsdl_schema(contract).error_log
    return answer


def test_epgu_performance_over_http(
    region: tuple[Diary, BinarySignature, BinarySignature],
    live_server_factory: Callable[..., str],
    db_url: str,
) -> None:
    diary, consumer, provider = region
    base_url = live_server_factory()
    history = HistoryPlugin()
    client = zeep_client(base_url, "EpguPerformance", wsse=consumer)
    client.plugins.append(history)
    period = {"SchoolYear": diary.school_year}

    answer = checked(history, "EpguPerformance", client.service.GetPerformance(
        Pupil={"Snils": diary.pupil_snils}, Applicant={"Representative": {"Snils": diary.mother_snils}}, Period=period,
    ))  # fmt: skip
    assert answer.Refusal is None
    [education] = answer.Performance.Education
    assert education.Organization.Id == diary.region.north_school_id and education.Class.Name == "5А"
    got = sorted((m.Date, m.Mark.Value, m.Weight) for s in education.Subject for m in s.DiaryMark)
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.scalars(select(DiaryMark).where(DiaryMark.student_id == diary.pupil_id)).all()
            expected = sorted((m.mark_date, m.raw_value, m.weight) for m in rows)
            assert got == expected
    finally:
        engine.dispose()

    stranger = checked(history, "EpguPerformance", client.service.GetPerformance(
        Pupil={"Snils": diary.pupil_snils},
        Applicant={"Representative": {"Snils": diary.stranger_snils}},
        Period=period,
    ))  # fmt: skip
    assert (stranger.Performance, stranger.Refusal.Code, stranger.Refusal.Reason) == (
        None, "ACCESS_DENIED", "NOT_REPRESENTATIVE",
    )  # fmt: skip
    teen = checked(history, "EpguPerformance", client.service.GetPerformance(
        Pupil={"Snils": diary.teen_snils}, Applicant={"PupilHimself": {}}, Period=period,
    ))  # fmt: skip
    assert teen.Refusal is None and teen.Performance.Pupil.LastName == "Кузнецова"
    unknown = checked(history, "EpguPerformance", client.service.GetPerformance(
        Pupil={"LastName": "Нетакого", "FirstName": "Ученика", "BirthDate": dt.date(2012, 1, 1)},
        Applicant={"Representative": {"Snils": diary.mother_snils}}, Period=period,
    ))  # fmt: skip
    assert unknown.Refusal.Code == "NO_DATA" and unknown.Refusal.Reason == "PUPIL_NOT_FOUND"

    refused = zeep_client(base_url, "EpguPerformance", wsse=provider)
    with pytest.raises(zeep.exceptions.Fault) as fault:
        refused.service.GetPerformance(
            Pupil={"Snils": diary.pupil_snils}, Applicant={"PupilHimself": {}}, Period=period
        )
    assert fault.value.code.endswith("Client.AccessDenied")

    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            audited = session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_type == "epgu_performance").order_by(AuditEvent.id)
            ).all()
    finally:
        engine.dispose()
    assert audited == ["read", "access_denied", "read", "read"]


def test_change_feed_over_http_returns_every_change_once(
    region: tuple[Diary, BinarySignature, BinarySignature], live_server_factory: Callable[..., str]
) -> None:
    diary, consumer, provider = region
    base_url = live_server_factory()
    history = HistoryPlugin()
    client = zeep_client(base_url, "ChangeFeed", wsse=consumer)
    client.plugins.append(history)
    seen, since = [], 0
    while True:
        page = checked(history, "ChangeFeed", client.service.GetChanges(SinceVersion=since, PageSize=2))
        seen += [(c.Version, c.Entity, c.EntityId, c.Operation) for c in page.Change]
        since = page.NextVersion
        if not page.HasMore:
            break
    assert [s[1:] for s in seen] == [
        ("organization", diary.region.north_school_id, "upsert"),
        ("student", diary.pupil_id, "upsert"),
        ("student", diary.teen_id, "upsert"),
        ("authority", diary.region.north_id, "upsert"),
        ("enrolment", 987654, "delete"),
    ]
    assert len({s[0] for s in seen}) == 5
    first = client.service.GetChanges(SinceVersion=0, PageSize=2)
    assert first.Change[0].Organization.Id == diary.region.north_school_id
    assert first.Change[1].Student.CurrentEnrolment.OrganizationId == diary.region.north_school_id
    with pytest.raises(zeep.exceptions.Fault) as fault:
        zeep_client(base_url, "ChangeFeed", wsse=provider).service.GetChanges(SinceVersion=0, PageSize=2)
    assert fault.value.code.endswith("Client.AccessDenied")
