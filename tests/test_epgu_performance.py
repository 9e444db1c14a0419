"""The EPGU performance use case over a real database: who gets the diary, who is refused, and
what the diary holds (checked against the rows), through the XML handler the SMEV participant calls."""

from __future__ import annotations

import datetime as dt

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dates import full_years
from db.models import AuditEvent, DiaryMark, PeriodMark
from kontingent_ws.usecases.epgu import AuditContext, PerformanceOutcome, get_performance, handle_performance_xml
from kontingent_ws.usecases.epgu_model import (
    DocumentRef,
    PerformanceQuery,
    PersonData,
    PupilRef,
    RepresentativeRef,
)
from kontingent_ws.usecases.epgu_xml import NAMESPACE, performance_schema
from tests.epgukit import Diary, make_diary

AUDIT = AuditContext(contract="SMEV", operation="PerformanceRequest", actor="EPGU", request_id="ab" * 16)
N = f"{{{NAMESPACE}}}"


def request_xml(pupil: str, applicant: str, period: str) -> etree._Element:
    document = (
        f'<PerformanceRequest xmlns="{NAMESPACE}"><Pupil>{pupil}</Pupil>'
        f"<Applicant>{applicant}</Applicant><Period>{period}</Period></PerformanceRequest>"
    )
    return etree.fromstring(document.encode())


def by_mother(diary: Diary) -> str:
    return f"<Representative><Snils>{diary.mother_snils}</Snils></Representative>"


def handle(session: Session, diary: Diary, element: etree._Element) -> PerformanceOutcome:
    outcome = handle_performance_xml(session, element, audit_context=AUDIT, today=diary.today)
    assert performance_schema().validate(outcome.response), performance_schema().error_log
    return outcome


def refusal_of(outcome: PerformanceOutcome) -> tuple[str, str]:
    refusal = outcome.response.find(f"{N}Refusal")
    assert refusal is not None and not outcome.ok
    assert refusal.findtext(f"{N}Message") == outcome.message
    return refusal.findtext(f"{N}Code") or "", refusal.findtext(f"{N}Reason") or ""


def test_a_parent_by_snils_gets_exactly_the_marks_in_the_database(session: Session) -> None:
    diary = make_diary(session)
    outcome = handle(
        session,
        diary,
        request_xml(
            f"<Snils>{diary.pupil_snils}</Snils>", by_mother(diary), f"<SchoolYear>{diary.school_year}</SchoolYear>"
        ),
    )
    assert outcome.ok and outcome.code is None
    performance = outcome.response.find(f"{N}Performance")
    assert performance is not None
    assert performance.findtext(f"{N}Pupil/{N}LastName") == "Иванов"
    assert performance.findtext(f"{N}DateFrom") == f"{diary.school_year}-09-01"
    [education] = performance.findall(f"{N}Education")
    assert education.findtext(f"{N}Organization/{N}Id") == str(diary.region.north_school_id)
    assert education.findtext(f"{N}Class/{N}Name") == "5А"
    assert [p.findtext(f"{N}Number") for p in education.findall(f"{N}StudyPeriod")] == ["1", "2", "3", "4"]

    got = {
        (s.findtext(f"{N}Name"), m.findtext(f"{N}Date"), m.findtext(f"{N}Mark/{N}Value"), m.findtext(f"{N}Weight"),
         m.findtext(f"{N}ControlForm/{N}Code"), m.findtext(f"{N}Comment"))
        for s in education.findall(f"{N}Subject") for m in s.findall(f"{N}DiaryMark")
    }  # fmt: skip
    names = {diary.math_id: "Математика", diary.russian_id: "Русский язык"}
    expected = {
        (names[m.subject_id], m.mark_date.isoformat(), m.raw_value, str(m.weight), m.control_form_code, m.comment)
        for m in session.scalars(select(DiaryMark).where(DiaryMark.student_id == diary.pupil_id))
    }
    assert got == expected and len(got) == 5

    math = next(s for s in education.findall(f"{N}Subject") if s.findtext(f"{N}Name") == "Математика")
    assert [m.findtext(f"{N}Date") for m in math.findall(f"{N}DiaryMark")] == sorted(
        m.findtext(f"{N}Date") or "" for m in math.findall(f"{N}DiaryMark")
    )
    first = math.find(f"{N}DiaryMark")
    assert first is not None
    assert first.findtext(f"{N}Mark/{N}Text") == "5 (отлично)"
    assert first.findtext(f"{N}ControlForm/{N}Name") == "Устный ответ"
    assert [(m.findtext(f"{N}PeriodKind"), m.findtext(f"{N}PeriodNumber"), m.findtext(f"{N}Mark/{N}Value"))
            for m in math.findall(f"{N}PeriodMark")] == [("quarter", "1", "4")]  # fmt: skip
    assert math.findtext(f"{N}AnnualMark/{N}Mark/{N}Value") == "4"
    assert math.findtext(f"{N}FinalMark/{N}Mark/{N}Value") == "4"
    stored_period_marks = session.scalars(select(PeriodMark).where(PeriodMark.student_id == diary.pupil_id)).all()
    answered = sum(
        len(s.findall(f"{N}{tag}"))
        for s in education.findall(f"{N}Subject")
        for tag in ("PeriodMark", "AnnualMark", "FinalMark")
    )
    assert answered == len(stored_period_marks) == 4


def test_a_date_range_keeps_only_marks_and_periods_inside_it(session: Session) -> None:
    diary = make_diary(session)
    year = diary.school_year
    query = PerformanceQuery(
        pupil=PupilRef(snils=diary.pupil_snils),
        representative=RepresentativeRef(snils=diary.mother_snils),
        date_from=dt.date(year, 11, 1),
        date_to=dt.date(year, 11, 30),
    )
    result = get_performance(session, query, audit_context=AUDIT, today=diary.today)
    assert result.performance is not None
    [education] = result.performance.educations
    assert [p.number for p in education.study_periods] == [2]
    assert [(s.name, [m.date for m in s.diary_marks]) for s in education.subjects] == [
        ("Математика", [dt.date(year, 11, 15)])
    ]


def test_a_representative_by_name_birth_date_and_passport_is_accepted(session: Session) -> None:
    diary = make_diary(session)
    applicant = (
        "<Representative><LastName>ИВАНОВА</LastName><FirstName>Елена</FirstName>"
        f"<MiddleName>Викторовна</MiddleName><BirthDate>{diary.mother_birth}</BirthDate>"
        "<IdentityDocument><TypeCode>21</TypeCode><Series>45 09</Series><Number>123456</Number></IdentityDocument>"
        "</Representative>"
    )
    pupil = f"<LastName>Иванов</LastName><FirstName>Артём</FirstName><BirthDate>{diary.pupil_birth}</BirthDate>"
    outcome = handle(session, diary, request_xml(pupil, applicant, f"<SchoolYear>{diary.school_year}</SchoolYear>"))
    assert outcome.ok


def test_a_wrong_document_or_a_stranger_or_an_expired_guardian_is_refused(session: Session) -> None:
    diary = make_diary(session)
    period = f"<SchoolYear>{diary.school_year}</SchoolYear>"
    pupil = f"<Snils>{diary.pupil_snils}</Snils>"
    wrong_document = (
        f"<Representative><LastName>Иванова</LastName><FirstName>Елена</FirstName><BirthDate>{diary.mother_birth}"
        "</BirthDate><IdentityDocument><TypeCode>21</TypeCode><Series>4509</Series><Number>999999</Number>"
        "</IdentityDocument></Representative>"
    )
    for applicant in (
        wrong_document,
        f"<Representative><Snils>{diary.stranger_snils}</Snils></Representative>",
        f"<Representative><Snils>{diary.father_snils}</Snils></Representative>",
    ):
        outcome = handle(session, diary, request_xml(pupil, applicant, period))
        assert refusal_of(outcome) == ("ACCESS_DENIED", "NOT_REPRESENTATIVE")
        assert outcome.response.find(f"{N}Performance") is None


def test_a_pupil_of_14_may_apply_and_a_younger_one_may_not(session: Session) -> None:
    diary = make_diary(session)
    period = f"<SchoolYear>{diary.school_year}</SchoolYear>"
    teen = handle(session, diary, request_xml(f"<Snils>{diary.teen_snils}</Snils>", "<PupilHimself/>", period))
    assert teen.ok
    child = handle(session, diary, request_xml(f"<Snils>{diary.pupil_snils}</Snils>", "<PupilHimself/>", period))
    assert refusal_of(child) == ("ACCESS_DENIED", "APPLICANT_UNDER_14")
    assert full_years(dt.date(2010, 5, 20), dt.date(2024, 5, 19)) == 13
    assert full_years(dt.date(2010, 5, 20), dt.date(2024, 5, 20)) == 14


def test_unknown_and_ambiguous_pupils_get_no_data(session: Session) -> None:
    diary = make_diary(session)
    period = f"<SchoolYear>{diary.school_year}</SchoolYear>"
    unknown = handle(session, diary, request_xml("<Snils>112-233-445 95</Snils>", by_mother(diary), period))
    assert refusal_of(unknown) == ("NO_DATA", "PUPIL_NOT_FOUND")
    twins = f"<LastName>Петров</LastName><FirstName>Петр</FirstName><BirthDate>{diary.namesake_birth}</BirthDate>"
    ambiguous = handle(session, diary, request_xml(twins, by_mother(diary), period))
    assert refusal_of(ambiguous) == ("NO_DATA", "PUPIL_AMBIGUOUS")
    assert "СНИЛС" in (ambiguous.message or "")


def test_bad_requests_are_refused_in_the_schema(session: Session) -> None:
    diary = make_diary(session)
    mother = by_mother(diary)
    pupil = f"<Snils>{diary.pupil_snils}</Snils>"
    cases = [
        request_xml("<Snils>112-233-445 94</Snils>", mother, "<SchoolYear>2024</SchoolYear>"),  # bad check digits
        request_xml(pupil, mother, "<DateFrom>2024-10-01</DateFrom><DateTo>2024-09-01</DateTo>"),
        request_xml(pupil, mother, "<DateFrom>2023-01-01</DateFrom><DateTo>2024-09-01</DateTo>"),
        request_xml(
            pupil, "<Representative><LastName>Иванова</LastName></Representative>", "<SchoolYear>2024</SchoolYear>"
        ),
        etree.fromstring(b'<PerformanceRequest xmlns="urn:wrong"/>'),
    ]
    for element in cases:
        assert refusal_of(handle(session, diary, element)) == ("BAD_REQUEST", "INVALID_REQUEST")


def test_no_enrolment_and_no_marks_in_the_period_is_no_data(session: Session) -> None:
    diary = make_diary(session)
    outcome = handle(
        session,
        diary,
        request_xml(
            f"<Snils>{diary.pupil_snils}</Snils>", by_mother(diary), f"<SchoolYear>{diary.school_year - 3}</SchoolYear>"
        ),
    )
    assert refusal_of(outcome) == ("NO_DATA", "NO_DATA_FOR_PERIOD")


def test_every_answer_and_refusal_is_audited_with_the_applicant(session: Session) -> None:
    diary = make_diary(session)
    period = f"<SchoolYear>{diary.school_year}</SchoolYear>"
    pupil = f"<Snils>{diary.pupil_snils}</Snils>"
    handle(session, diary, request_xml(pupil, by_mother(diary), period))
    handle(
        session,
        diary,
        request_xml(pupil, f"<Representative><Snils>{diary.stranger_snils}</Snils></Representative>", period),
    )
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "epgu_performance").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.subject_person_id, e.actor, e.request_id) for e in events] == [
        ("read", diary.pupil_id, "EPGU", "ab" * 16),
        ("access_denied", diary.pupil_id, "EPGU", "ab" * 16),
    ]
    assert f"person_id={diary.mother_id}" in (events[0].details or "")
    assert "Иванова Елена Викторовна" in (events[0].details or "")
    assert "NOT_REPRESENTATIVE" in (events[1].details or "")


def test_typed_query_with_name_data_and_document(session: Session) -> None:
    diary = make_diary(session)
    query = PerformanceQuery(
        pupil=PupilRef(
            person=PersonData(last_name="иванов", first_name="артём", middle_name=None, birth_date=diary.pupil_birth)
        ),
        representative=RepresentativeRef(
            person=PersonData(last_name="Иванова", first_name="Елена", middle_name=None, birth_date=diary.mother_birth),
            document=DocumentRef(type_code="21", series=None, number=diary.mother_passport),
        ),
        school_year=diary.school_year,
    )
    result = get_performance(session, query, audit_context=AUDIT, today=diary.today)
    assert result.ok and result.performance is not None
    assert result.performance.pupil.middle_name == "Сергеевич"
