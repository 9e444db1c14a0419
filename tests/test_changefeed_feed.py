"""The change feed on one writer: versions in commit order, pages that return every change once,
current snapshots, rolled-back changes forgotten, and the SMEV packet valid against its schema."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from lxml import etree
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adapters.safexml import parse_bytes
from db.engine import make_session_factory
from db.models import ChangeLog, ClassGroup, Enrolment
from kontingent_ws.errors import ValidationError
from kontingent_ws.services.changefeed import ChangePageXml
from kontingent_ws.usecases.changefeed import build_change_packet, get_changes, record_change
from kontingent_ws.usecases.changefeed_model import (
    Change,
    ChangePage,
    EnrolmentSnapshot,
    OrgUnitSnapshot,
    StudentSnapshot,
)
from kontingent_ws.usecases.changefeed_packet import NAMESPACE, change_feed_schema, render_change_packet
from tests.authkit import make_small_region
from tests.epgukit import add_person, add_student
from tests.test_epgu_live import wsdl_schema

N = f"{{{NAMESPACE}}}"


def read_all(session: Session, page_size: int) -> list[tuple[int, str, int, str]]:
    seen, since = [], 0
    while True:
        page = get_changes(session, since, page_size)
        seen += [(c.version, c.entity, c.entity_id, c.operation) for c in page.changes]
        assert page.next_version >= since
        since = page.next_version
        if not page.has_more:
            return seen


def test_pages_return_every_committed_change_once_in_version_order(engine: Engine) -> None:
    factory = make_session_factory(engine)
    expected = []
    for batch in range(7):
        with factory() as session:
            for i in range(batch + 1):
                record_change(session, "student", batch * 100 + i, "upsert", org_unit_id=5)
                expected.append(("student", batch * 100 + i, "upsert"))
            session.commit()
    with factory() as session:
        record_change(session, "student", 999, "upsert")
        session.rollback()  # forgotten
        record_change(session, "student", 1, "merge", merged_into_id=2)
        record_change(session, "student", 1, "merge", merged_into_id=2)  # the same change once
        session.commit()
        expected.append(("student", 1, "merge"))
    with factory() as session:
        for size in (1, 3, 28, 5000):
            seen = read_all(session, size)
            assert [s[1:] for s in seen] == expected
            assert [s[0] for s in seen] == sorted({s[0] for s in seen})
        empty = get_changes(session, seen[-1][0], 10)
        assert empty.changes == () and empty.next_version == seen[-1][0] and not empty.has_more


def test_upserts_carry_current_snapshots_and_deletions_none(session: Session) -> None:
    region = make_small_region(session)
    person = add_person(session, "Орлова", "Анна", None, dt.date(2012, 2, 3), sex="2", snils="11223344595")
    cls = ClassGroup(organization_id=region.north_school_id, name="7Б", school_year=2023, grade=7)
    session.add(cls)
    session.flush()
    add_student(session, person, region.north_school_id, cls.id, dt.date(2023, 9, 1))
    enrolment = session.scalars(select(Enrolment).where(Enrolment.student_id == person.id)).one()
    record_change(session, "student", person.id, "upsert", org_unit_id=region.north_school_id)
    record_change(session, "enrolment", enrolment.id, "upsert", org_unit_id=region.north_school_id)
    record_change(session, "organization", region.north_school_id, "upsert")
    record_change(session, "authority", region.north_id, "upsert")
    record_change(session, "enrolment", 424242, "upsert")
    record_change(session, "enrolment", 424242, "delete")
    session.commit()

    page = get_changes(session, 0, 100)
    snapshots = [c.snapshot for c in page.changes]
    student, enrol, school, authority, vanished, deleted = snapshots
    assert isinstance(student, StudentSnapshot) and student.snils == "11223344595"
    assert student.current_enrolment is not None and student.current_enrolment.id == enrolment.id
    assert student.current_enrolment.class_name == "7Б"
    assert isinstance(enrol, EnrolmentSnapshot) and enrol.organization_id == region.north_school_id
    assert isinstance(school, OrgUnitSnapshot) and (school.kind, school.type_code) == ("organization", "12")
    assert isinstance(authority, OrgUnitSnapshot) and (authority.kind, authority.level) == ("authority", "municipality")
    assert vanished is None and deleted is None

    packet = parse_bytes(build_change_packet(session, 0, 100))
    assert change_feed_schema().validate(packet), change_feed_schema().error_log
    changes = packet.findall(f"{N}Change")
    assert [c.findtext(f"{N}Version") for c in changes] == [str(c.version) for c in page.changes]
    assert changes[0].findtext(f"{N}Student/{N}CurrentEnrolment/{N}OrganizationId") == str(region.north_school_id)
    assert changes[2].find(f"{N}Organization") is not None and changes[3].find(f"{N}Authority") is not None
    assert changes[5].findtext(f"{N}Operation") == "delete"
    assert packet.findtext(f"{N}HasMore") == "false"

    second = parse_bytes(build_change_packet(session, page.changes[1].version, 2))
    assert change_feed_schema().validate(second)
    assert [c.findtext(f"{N}Version") for c in second.findall(f"{N}Change")] == [
        str(page.changes[2].version),
        str(page.changes[3].version),
    ]
    assert second.findtext(f"{N}NextVersion") == str(page.changes[3].version)
    assert second.findtext(f"{N}HasMore") == "true"
    assert etree.QName(second).localname == "ChangePacket"


def test_wrong_arguments_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown entity"):
        record_change(session, "pupil", 1, "upsert")
    with pytest.raises(ValueError, match="merged_into_id"):
        record_change(session, "student", 1, "merge")
    with pytest.raises(ValueError, match="only persons"):
        record_change(session, "organization", 1, "merge", merged_into_id=2)
    with pytest.raises(ValidationError):
        get_changes(session, -1, 10)
    with pytest.raises(ValidationError):
        get_changes(session, 0, 0)
    assert session.scalar(select(ChangeLog.version)) is None


def _awkward_page() -> ChangePage:
    """A page whose texts need escaping: markup characters, quotes and a carriage return."""
    at = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
    enrolment = EnrolmentSnapshot(
        id=7, student_id=5, organization_id=3, class_group_id=None, class_name="5 <А> & \"Б\"",
        education_level_code=None, programme_kind_code=None, education_form_code="11",
        entry_date=dt.date(2025, 9, 1), entry_reason_code="1", exit_date=dt.date(2026, 5, 31), exit_reason_code="2",
    )  # fmt: skip
    student = StudentSnapshot(
        id=5, last_name="О'Нил & <Ко>", first_name="Анна\r\nМария", middle_name=None, sex="2",
        birth_date=dt.date(2012, 2, 3), snils=None, citizenship_code="1", status_code=None, current_enrolment=enrolment,
    )  # fmt: skip
    school = OrgUnitSnapshot(
        id=3, kind="organization", parent_id=None, full_name="Школа «Ромашка» ]]> & <co>", short_name="Ш&Р",
        inn=None, kpp=None, ogrn=None, oktmo=None, status_code="1", type_code="12", level=None,
    )  # fmt: skip
    changes = [
        Change(version=v, entity=e, entity_id=i, operation="upsert", changed_at=at, merged_into_id=None,
               org_unit_id=3, snapshot=s)
        for v, e, i, s in ((1, "student", 5, student), (2, "enrolment", 7, enrolment), (3, "organization", 3, school))
    ]  # fmt: skip
    return ChangePage(changes=tuple(changes), next_version=3, has_more=False)


def test_texts_are_escaped_and_read_back_unchanged() -> None:
    page = _awkward_page()
    packet = parse_bytes(render_change_packet(page, since=0))
    assert change_feed_schema().validate(packet), change_feed_schema().error_log
    student, enrolment, school = packet.findall(f"{N}Change")
    assert student.findtext(f"{N}Student/{N}LastName") == "О'Нил & <Ко>"
    assert student.findtext(f"{N}Student/{N}FirstName") == "Анна\r\nМария"  # the CR survives parsing
    assert student.findtext(f"{N}Student/{N}CurrentEnrolment/{N}ClassName") == '5 <А> & "Б"'
    assert student.findtext(f"{N}Student/{N}CurrentEnrolment/{N}ExitDate") == "2026-05-31"
    assert enrolment.findtext(f"{N}Enrolment/{N}ClassName") == '5 <А> & "Б"'
    assert school.findtext(f"{N}Organization/{N}FullName") == "Школа «Ромашка» ]]> & <co>"
    assert school.findtext(f"{N}ChangedAt") == "2026-11-28T09:30:00Z"


def test_a_character_xml_cannot_carry_is_refused_not_written() -> None:
    page = _awkward_page()
    school = page.changes[2].snapshot
    assert isinstance(school, OrgUnitSnapshot)
    broken = dataclasses.replace(page.changes[2], snapshot=dataclasses.replace(school, short_name="Ш\x01Р"))
    with pytest.raises(ValueError, match="U\\+0001"):
        render_change_packet(dataclasses.replace(page, changes=(broken,)), since=0)
    with pytest.raises(etree.XMLSyntaxError):  # the GetChanges answer: its parser refuses it
        ChangePageXml().subserialize(
            None, None, dataclasses.replace(page, changes=(broken,)), etree.Element("answer"), None, "ChangePage"
        )


def test_the_get_changes_answer_is_valid_against_the_contract() -> None:
    """The answer written by the service's fast path, for every kind of snapshot, against the golden WSDL."""
    wire_ns = "urn://kontingent-region.ru/ws/changefeed/1.0"
    response = etree.Element(f"{{{wire_ns}}}GetChangesResponse")
    ChangePageXml().subserialize(None, None, _awkward_page(), response, wire_ns, "ChangePage")
    schema = wsdl_schema("ChangeFeed")
    assert schema.validate(response), schema.error_log
    changes = response.findall(f"{{{wire_ns}}}ChangePage/{{{wire_ns}}}Change")
    assert [c.findtext(f"{{{wire_ns}}}Version") for c in changes] == ["1", "2", "3"]
    assert changes[0].findtext(f"{{{wire_ns}}}Student/{{{wire_ns}}}LastName") == "О'Нил & <Ко>"
