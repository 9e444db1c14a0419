"""report_enrolment stays equal to enrolment ⋈ person through inserts, updates, deletes and
cascades, on every backend, with ``alone`` computed by hand; a rebuild gives the same rows; the
snapshot reports follow the writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from db.models import Enrolment, Person, ReportEnrolment, Student
from reports.catalogue import build_report
from reports.snapshot import ENROLMENT_COLUMNS, day_key, refresh_report_enrolments
from tests.reportdata import ON_DATE, SCHOOL_1, SCHOOL_2, build_dataset, insert_dataset

FAR = dt.date(9999, 12, 31)


def expected(session: Session) -> dict[int, tuple[Any, ...]]:
    """Every enrolment with its person's attributes and whether it shares a day with another one
    of the same student, computed in Python from the source tables."""
    people = {
        person_id: (sex, day_key(birth), citizenship)
        for person_id, sex, birth, citizenship in session.execute(
            select(Person.id, Person.sex, Person.birth_date, Person.citizenship_code)
        )
    }
    copied = [getattr(Enrolment, name) for name in ENROLMENT_COLUMNS]
    enrolments = session.execute(select(Enrolment.id, *copied)).all()
    periods: dict[int, list[tuple[int, dt.date, dt.date]]] = {}
    for row in enrolments:
        periods.setdefault(row.student_id, []).append((row.id, row.entry_date, row.exit_date or FAR))
    table = {}
    for row in enrolments:
        end = row.exit_date or FAR
        alone = not any(
            other != row.id and start < end and row.entry_date < stop
            for other, start, stop in periods[row.student_id]
        )
        table[row.id] = (*row[1:], *people[row.student_id], alone)
    return table


def stored(session: Session) -> dict[int, tuple[Any, ...]]:
    columns = [column for column in ReportEnrolment.__table__.columns if column.name != "enrolment_id"]
    rows = session.execute(select(ReportEnrolment.enrolment_id, *columns))
    return {row[0]: tuple(bool(value) if column.name == "alone" else value for column, value in zip(
        columns, row[1:], strict=True)) for row in rows}


def assert_snapshot_matches(session: Session) -> None:
    session.flush()
    assert stored(session) == expected(session)


def test_snapshot_follows_every_write(session: Session) -> None:
    data = build_dataset()
    insert_dataset(session, data)
    assert_snapshot_matches(session)
    assert any(not alone for *_, alone in stored(session).values())  # the dataset has overlapping stays

    stays_of = {stay.student_id: [other for other in data.stays if other.student_id == stay.student_id]
                for stay in data.stays}
    stay = next(s for s in data.stays if s.exit is None and s.org_id == SCHOOL_1 and len(stays_of[s.student_id]) == 1)
    # a second, overlapping enrolment of the same student, then it ends before the first began
    session.execute(
        insert(Enrolment).values(
            id=90_001, student_id=stay.student_id, organization_id=SCHOOL_2, education_form_code="11",
            entry_date=stay.entry + dt.timedelta(days=3), entry_reason_code="1",
        )
    )
    assert_snapshot_matches(session)
    assert stored(session)[stay.id][-1] is False
    session.execute(
        update(Enrolment).where(Enrolment.id == 90_001).values(
            entry_date=stay.entry - dt.timedelta(days=30), exit_date=stay.entry, exit_reason_code="1"
        )
    )
    assert_snapshot_matches(session)
    assert stored(session)[stay.id][-1] is True  # ended the day the other began: no shared day
    session.execute(update(Enrolment).where(Enrolment.organization_id == SCHOOL_1).values(education_form_code="12"))
    assert_snapshot_matches(session)
    session.execute(
        update(Person).where(Person.id == stay.student_id).values(sex="2", birth_date=dt.date(2012, 2, 29))
    )
    some = [other.student_id for other in data.stays[:5]]
    session.execute(update(Person).values(citizenship_code="3").where(Person.id.in_(some)))
    assert_snapshot_matches(session)
    session.execute(delete(Enrolment).where(Enrolment.id == 90_001))
    assert_snapshot_matches(session)
    session.execute(delete(Student).where(Student.id == data.stays[0].student_id))  # cascades to enrolments
    assert_snapshot_matches(session)

    before = stored(session)
    assert refresh_report_enrolments(session) == len(before)
    assert stored(session) == before


def test_snapshot_reports_follow_the_writes(session: Session) -> None:
    insert_dataset(session, build_dataset())
    on_date = {"on_date": ON_DATE}
    before = build_report(session, "STRUCT_BY_SEX", on_date, None)
    session.execute(update(Person).values(sex="2"))
    after = build_report(session, "STRUCT_BY_SEX", on_date, None)
    assert before.totals is not None and after.totals is not None
    assert after.totals[1] == before.totals[1] == after.totals[3]
    assert after.totals[2] == 0
