"""The EPGU reads on prepared statements (PostgreSQL) give the answers of the Core statements, and
the study periods of the marks looked up per mark (``LATERAL``) are those of the plain join."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db import prepared
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import DiaryMark, LegalRepresentative, LocalSubject, PeriodMark, Person, StudyPeriod
from kontingent_ws.usecases import epgu_identify, epgu_marks
from kontingent_ws.usecases.epgu import AuditContext, get_performance
from kontingent_ws.usecases.epgu_model import (
    DocumentRef,
    PerformanceQuery,
    PerformanceResult,
    PersonData,
    PupilRef,
    RepresentativeRef,
)
from tests.epgukit import Diary, add_person, make_diary, new_snils

AUDIT = AuditContext(contract="EpguPerformance", operation="GetPerformance", actor="EPGU")


def with_a_second_school(session: Session, diary: Diary) -> None:
    """Marks at a school the pupil is not enrolled in (its name is read by id), in a quarter of its own
    that ends before the range of a later query, and a period mark without its study period."""
    school = diary.region.south_school_id
    art = LocalSubject(organization_id=school, name="Изобразительное искусство")
    session.add(art)
    session.flush()
    year = diary.school_year
    first = StudyPeriod(organization_id=school, school_year=year, kind_code="trimester", number=1,
                        start_date=dt.date(year, 9, 1), end_date=dt.date(year, 11, 30))  # fmt: skip
    session.add(first)
    session.flush()
    session.add_all([
        DiaryMark(student_id=diary.pupil_id, organization_id=school, subject_id=art.id, mark_date=dt.date(year, 10, 2),
                  scale_code="five_point", raw_value="5", numeric_value=Decimal("5.00"), weight=3),
        DiaryMark(student_id=diary.pupil_id, organization_id=school, subject_id=art.id, mark_date=dt.date(year, 12, 2),
                  scale_code="five_point", raw_value="5", numeric_value=Decimal("5.00"), weight=1, comment="Пейзаж"),
        PeriodMark(student_id=diary.pupil_id, organization_id=school, subject_id=art.id, school_year=year,
                   kind="period", study_period_id=first.id, scale_code="five_point", raw_value="5",
                   numeric_value=Decimal(5)),
        PeriodMark(student_id=diary.pupil_id, organization_id=school, subject_id=art.id, school_year=year,
                   kind="annual", study_period_id=None, scale_code="five_point", raw_value="5",
                   numeric_value=Decimal(5)),
    ])  # fmt: skip
    session.flush()


def queries(diary: Diary) -> list[PerformanceQuery]:
    year = diary.school_year
    mother = RepresentativeRef(snils=diary.mother_snils)
    by_snils = PupilRef(snils=diary.pupil_snils)
    by_name = PupilRef(
        person=PersonData(last_name="ИВАНОВ", first_name="Артём", middle_name="сергеевич", birth_date=diary.pupil_birth)
    )
    by_document = RepresentativeRef(
        person=PersonData(last_name="Иванова", first_name="Елена", middle_name=None, birth_date=diary.mother_birth),
        document=DocumentRef(type_code="21", series="45 09", number="123456"),
    )
    return [
        PerformanceQuery(pupil=by_snils, representative=mother, school_year=year),
        PerformanceQuery(
            pupil=by_snils, representative=mother, date_from=dt.date(year, 12, 1), date_to=dt.date(year + 1, 1, 31)
        ),
        PerformanceQuery(pupil=by_name, representative=by_document, school_year=year),
        PerformanceQuery(pupil=by_snils, representative=RepresentativeRef(snils=diary.father_snils), school_year=year),
        PerformanceQuery(pupil=PupilRef(snils=diary.teen_snils), representative=None, school_year=year),
        PerformanceQuery(pupil=by_snils, representative=mother, school_year=year - 3),
    ]


def answers(session: Session, diary: Diary) -> list[PerformanceResult]:
    return [get_performance(session, query, audit_context=AUDIT, today=diary.today) for query in queries(diary)]


def test_the_prepared_statements_answer_as_the_core_statements(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    diary = make_diary(session)
    with_a_second_school(session, diary)
    found = answers(session, diary)
    with monkeypatch.context() as core:
        core.setattr(prepared, "is_prepared_here", lambda connection: False)
        assert answers(session, diary) == found
    assert [result.refusal.reason if result.refusal else None for result in found] == [
        None, None, None, "NOT_REPRESENTATIVE", None, "NO_DATA_FOR_PERIOD",
    ]  # fmt: skip
    performance = found[0].performance
    assert performance is not None
    south = performance.educations[1]
    assert south.organization.id == diary.region.south_school_id and south.class_info is None
    [art] = south.subjects
    assert [m.mark.numeric for m in art.diary_marks] == [Decimal(5), Decimal(5)]
    assert [(m.period_kind, m.period_number) for m in art.period_marks] == [("trimester", 1)]
    assert len(art.annual_marks) == 1
    december = found[1].performance
    assert december is not None  # the trimester ended before December: its period mark is not given
    assert [(e.organization.id, [len(s.period_marks) for s in e.subjects]) for e in december.educations] == [
        (diary.region.north_school_id, [0]),
        (diary.region.south_school_id, [0]),
    ]


def test_the_marks_study_periods_by_key_are_those_of_the_join(session: Session) -> None:
    diary = make_diary(session)
    with_a_second_school(session, diary)
    connection = session.connection()
    year = diary.school_year
    for date_from, date_to in [
        (dt.date(year, 9, 1), dt.date(year + 1, 8, 31)),
        (dt.date(year, 11, 1), dt.date(year, 11, 30)),
        (dt.date(year, 12, 1), dt.date(year + 1, 2, 1)),
    ]:
        parameters = {"student_id": diary.pupil_id, "date_from": date_from, "date_to": date_to, "years": [year]}
        joined = [tuple(row) for row in connection.execute(epgu_marks.PERIOD_MARKS.statement, parameters)]
        if connection.dialect.name == "postgresql":
            by_key = [tuple(row) for row in epgu_marks.PERIOD_MARKS_LATERAL.rows(connection, parameters)]
            assert by_key == joined
        assert len(joined) == {11: 4, 12: 3}.get(date_from.month, 6)


@pytest.fixture
def pg_session(postgresql_url: str) -> Iterator[Session]:
    """PostgreSQL only: where statements are prepared."""
    initdb(postgresql_url)
    engine = make_engine(postgresql_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
            session.rollback()
    finally:
        engine.dispose()


def test_on_postgresql_the_reads_of_a_call_are_prepared_once_per_connection(pg_session: Session) -> None:
    diary = make_diary(pg_session)
    for _ in range(3):
        answers(pg_session, diary)
    names = set(pg_session.execute(text("SELECT name FROM pg_prepared_statements")).scalars())
    used = [
        epgu_identify.PUPIL_BY_SNILS, epgu_identify.PUPIL_BY_NAME,
        epgu_identify.DOCUMENTS, epgu_marks.ENROLMENTS, epgu_marks.DIARY, epgu_marks.PERIOD_MARKS_LATERAL,
        epgu_marks.SUBJECTS, epgu_marks.STUDY_PERIODS,
    ]  # fmt: skip
    assert {query._compiled["postgresql"].name for query in used} <= names
    assert not any(name.startswith("k_epgu_period_marks_") and "lateral" not in name for name in names)


def test_the_pupil_comes_with_every_representative_valid_that_day(session: Session) -> None:
    diary = make_diary(session)
    grandmother_snils = new_snils()
    grandmother = add_person(session, "Петрова", "Анна", "Ивановна", dt.date(1960, 2, 2), sex="2",
                             snils=grandmother_snils)  # fmt: skip
    session.add(LegalRepresentative(student_id=diary.pupil_id, person_id=grandmother.id, kind_code="3"))
    twins = list(session.scalars(select(Person).where(Person.birth_date == diary.namesake_birth)))
    session.add_all(LegalRepresentative(student_id=twin.id, person_id=grandmother.id, kind_code="3") for twin in twins)
    session.flush()
    connection = session.connection()

    pupil = epgu_identify.find_pupil(connection, PupilRef(snils=diary.pupil_snils), on=diary.today)
    assert pupil.id == diary.pupil_id
    assert [r.id for r in pupil.representatives] == [diary.mother_id, grandmother.id]  # the father's ended
    applicant = epgu_identify.check_applicant(
        connection, pupil, RepresentativeRef(snils=grandmother_snils), on=diary.today
    )
    assert (applicant.person_id, applicant.is_pupil) == (grandmother.id, False)

    namesake = PersonData(last_name="Петров", first_name="Пётр", middle_name=None, birth_date=diary.namesake_birth)
    with pytest.raises(epgu_identify.Refused) as refused:  # two pupils, each with a representative: 2 pupils
        epgu_identify.find_pupil(connection, PupilRef(person=namesake), on=diary.today)
    assert refused.value.refusal.reason == "PUPIL_AMBIGUOUS"
