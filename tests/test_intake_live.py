"""The Intake contract over a live gunicorn, driven by zeep with signed calls and signed packets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import xmlsec
import zeep
from lxml import etree
from sqlalchemy import Engine, func, select
from zeep.exceptions import Fault
from zeep.wsse.signature import BinarySignature

from db.engine import make_engine, make_session_factory
from db.models import AuditEvent, LoadJournal, LoadRowError, Packet, Person, Student
from tests.intakekit import SOUTH_INN, SOUTH_KPP, World, make_world, packet_xml, signed, snils, student
from tests.live import zeep_client
from tests.pki import make_rsa_identity, write_pem_files

SAMPLES = Path(__file__).parent / "samples"


class RequestSignature(BinarySignature):
    """Signs requests; the service does not sign its answers (TLS protects them)."""

    def verify(self, envelope: etree._Element) -> etree._Element:
        return envelope


@dataclass(frozen=True, kw_only=True)
class Live:
    world: World
    engine: Engine
    client: zeep.Client


@pytest.fixture
def live(db_url: str, live_server_factory: Callable[..., str], tmp_path: Path) -> Iterator[Live]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        world = make_world(session)
    base = live_server_factory(env={"KONTINGENT_DATA_DIR": str(tmp_path / "data")})
    key, cert = write_pem_files(world.netschool.identity, tmp_path / "pki")
    signature = RequestSignature(
        str(key),
        str(cert),
        signature_method=xmlsec.constants.TransformRsaSha256,
        digest_method=xmlsec.constants.TransformSha256,
    )
    try:
        yield Live(world=world, engine=engine, client=zeep_client(base, "Intake", wsse=signature))
    finally:
        engine.dispose()


def count(live: Live, model: Any, *where: Any) -> int:
    with live.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_a_signed_packet_is_applied_and_a_resent_one_returns_the_same_receipt(live: Live) -> None:
    data = signed((SAMPLES / "packet-school.xml").read_bytes(), live.world.netschool.identity)

    first = live.client.service.SubmitPacket(PacketXml=data, FileName="school.xml")
    again = live.client.service.SubmitPacket(PacketXml=data, FileName="school.xml")
    status = live.client.service.GetPacketStatus(ReceiptId=first.ReceiptId)

    assert (first.Status, first.Duplicate) == ("done", False)
    assert (again.ReceiptId, again.Status, again.Duplicate) == (first.ReceiptId, "done", True)
    assert (status.Status, status.LoadStatus, status.LoadStatusName) == ("done", "success", "Успешно")
    assert (status.RowsTotal, status.RowsApplied, status.RowsRejected, status.ErrorsTotal) == (15, 15, 0, 0)
    assert count(live, Student) == 2
    assert count(live, Person) == 3  # two students and a mother
    assert count(live, Packet) == 1
    assert count(live, LoadJournal) == 1


def _tampered(data: bytes) -> bytes:
    return data.replace("Иванов".encode(), "Иваноф".encode(), 1)


REFUSALS: list[tuple[str, Callable[[World], bytes], str]] = [
    ("unsigned", lambda w: packet_xml("r-unsigned", {"Students": [student("s", "Орлов", "Олег", "2013-01-01")]}),
     "Client.Signature"),
    ("tampered", lambda w: _tampered(signed(packet_xml(
        "r-tampered", {"Students": [student("s", "Иванов", "Олег", "2013-01-01")]}), w.netschool.identity)),
     "Client.Signature"),
    ("unregistered certificate", lambda w: signed(packet_xml(
        "r-stranger", {"Students": [student("s", "Орлов", "Олег", "2013-01-01")]}), make_rsa_identity("чужой")),
     "Client.Signature"),
    ("signed by another provider", lambda w: signed(packet_xml(
        "r-other", {"Students": [student("s", "Орлов", "Олег", "2013-01-01")]}, provider="dnevnik"),
        w.dnevnik.identity), "Client.Signature"),
    ("unknown provider named", lambda w: signed(packet_xml(
        "r-unknown", {"Students": [student("s", "Орлов", "Олег", "2013-01-01")]}, provider="nobody"),
        w.netschool.identity), "Client.Validation"),
    ("not XML", lambda w: b"%PDF-1.4 not a packet", "Client.XmlInput"),
    ("schema-invalid", lambda w: signed(packet_xml(
        "r-schema", {"Students": ['<Student providerRef="s"><FirstName>Олег</FirstName></Student>']}),
        w.netschool.identity), "Client.SchemaValidation"),
    ("organization outside the write scope", lambda w: signed(packet_xml(
        "r-scope", {"Students": [student("s", "Орлов", "Олег", "2013-01-01")]}, org_inn=SOUTH_INN,
        org_kpp=SOUTH_KPP), w.netschool.identity), "Client.AccessDenied"),
    ("unknown organization", lambda w: signed(packet_xml(
        "r-org", {"Students": [student("s", "Орлов", "Олег", "2013-01-01")]}, org_inn="7736050003",
        org_kpp="770701001"), w.netschool.identity), "Client.NotFound"),
]


def test_every_refusal_has_its_own_fault_and_changes_nothing_but_the_stored_packet(live: Live) -> None:
    outcomes = []
    for name, build, _code in REFUSALS:
        with pytest.raises(Fault) as refused:
            live.client.service.SubmitPacket(PacketXml=build(live.world), FileName=f"{name}.xml")
        outcomes.append((name, str(refused.value.code).rsplit(":", 1)[-1]))

    assert outcomes == [(name, code) for name, _build, code in REFUSALS]
    assert count(live, Person) == 0
    assert count(live, Packet, Packet.status == "rejected") == len(REFUSALS)
    assert count(live, Packet) == len(REFUSALS)
    assert count(live, LoadJournal, LoadJournal.status == "error") == len(REFUSALS)
    assert count(live, AuditEvent, AuditEvent.action == "access_denied", AuditEvent.object_type == "packet") == 1


def test_a_corrected_packet_is_accepted_under_the_id_of_a_refused_one(live: Live) -> None:
    rows = {"Students": [student("s", "Орлов", "Олег", "2013-01-01", snils_value=snils(1))]}
    with pytest.raises(Fault):
        live.client.service.SubmitPacket(PacketXml=packet_xml("fixed-1", rows))

    receipt = live.client.service.SubmitPacket(PacketXml=signed(packet_xml("fixed-1", rows),
                                                                live.world.netschool.identity))

    assert (receipt.Status, receipt.Duplicate) == ("done", False)
    assert count(live, Person) == 1


MIXED_ROWS = [
    ("Organization", 1, None, "Ogrn", "OGRN_CHECKSUM", "1027700132194"),
    ("ClassGroups", 2, "g2", "SchoolYear", "BAD_SCHOOL_YEAR", "2024/2026"),
    ("ClassGroups", 2, "g2", "ProgramKind", "UNKNOWN_CODE", "99"),
    ("Subjects", 2, "s2", "BaseSubject", "BASE_SUBJECT_MISSING", "Краеведение"),
    ("Subjects", 3, "s3", "BaseSubject", "UNKNOWN_CODE", "99"),
    ("StudyPeriods", 2, "q4", "EndDate", "END_BEFORE_START", "2025-03-31"),
    ("Students", 2, "st2", "Snils", "SNILS_CHECKSUM", "112-233-445 94"),
    ("Students", 2, "st2", "Representatives/Representative[1]/Kind", "UNKNOWN_CODE", "9"),
    ("Students", 4, "st1", "@providerRef", "DUPLICATE_REF", "st1"),
    ("Enrolments", 2, "e2", "StudentRef", "REF_REJECTED", "st2"),
    ("Enrolments", 3, "e3", "StudentRef", "UNKNOWN_REF", "st9"),
    ("Enrolments", 3, "e3", "ClassGroupRef", "REF_REJECTED", "g2"),
    ("Enrolments", 4, "e4", "ExitDate", "EXIT_BEFORE_ENTRY", "2024-08-01"),
    ("Enrolments", 5, "e5", "EducationLevel", "BIRTH_DATE_IMPLAUSIBLE", "3"),
    ("Enrolments", 6, "e6", "ExitReason", "REQUIRED", None),
    ("DiaryMarks", 2, "m2", "Value", "MARK_VALUE_INVALID", "6"),
    ("DiaryMarks", 3, "m3", "SubjectRef", "REF_REJECTED", "s3"),
    ("DiaryMarks", 4, "m4", "Date", "DATE_IN_FUTURE", "2025-04-01"),
    ("PeriodMarks", 2, "p2", "PeriodRef", "REF_REJECTED", "q4"),
    ("ExamResults", 1, "x1", "Value", "MARK_VALUE_INVALID", "101"),
    ("QueueApplications", 2, "qa2", "Child/IdentityDocuments/IdentityDocument[1]/Number", "BIRTH_CERTIFICATE_FORMAT",
     "IIII-АБ 123456"),
    ("QueueApplications", 2, "qa2", "CompensatingProfile", "REQUIRED", None),
    ("QueueApplications", 2, "qa2", "PreferredOrganizations/PreferredOrganization[1]/Inn", "INN_CHECKSUM",
     "7707083894"),
    ("QueueApplications", 1, "qa1", "MunicipalityOktmo", "UNKNOWN_MUNICIPALITY", "45382000"),
]
"""The adapter's row errors of tests/samples/packet-mixed.xml (its header ИНН corrected), then the
database stage's: the queue application names a municipality the registry does not have."""


def test_a_mixed_packet_applies_the_good_rows_and_reports_each_bad_one(live: Live) -> None:
    raw = (SAMPLES / "packet-mixed.xml").read_bytes().replace(b'orgInn="7707083894"', b'orgInn="7707083893"')
    receipt = live.client.service.SubmitPacket(PacketXml=signed(raw, live.world.netschool.identity))
    status = live.client.service.GetPacketStatus(ReceiptId=receipt.ReceiptId, Page=1, PageSize=500)

    flat = [(e.Section, e.Row, None, e.Field, e.Code, e.Value) for e in status.Errors.RowError]
    with live.engine.connect() as connection:
        refs = connection.execute(select(LoadRowError.section, LoadRowError.row, LoadRowError.code)
                                  .order_by(LoadRowError.id)).all()
    assert [(s, r, f, c, v) for s, r, _, f, c, v in flat] == [(s, r, f, c, v) for s, r, _, f, c, v in MIXED_ROWS]
    assert [tuple(row) for row in refs] == [(s, r, c) for s, r, _, _, c, _ in MIXED_ROWS]
    assert (status.Status, status.LoadStatus, status.LoadStatusName) == ("done_with_errors", "partial", "Частично")
    assert (status.RowsApplied, status.RowsRejected, status.RowsWarned) == (11, 18, 1)
    assert count(live, Student) == 2
