"""Enrolment rules: the decision table, and transfers and overlaps through the real pipeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from adapters.excel_template import build_template
from db.engine import make_engine, make_session_factory
from db.models import ClassGroup, Enrolment, LegalRepresentative, LoadRowError, Organization, Person, Student
from kontingent_ws.usecases.intake import apply_enrolments, late, pipeline
from kontingent_ws.usecases.intake.formats import EXCEL
from kontingent_ws.usecases.intake.receive import Sender, store_packet
from kontingent_ws.usecases.intake.validate import Closure, Decision, Span, decide
from tests.intakekit import (
    NORTH_INN,
    SOUTH_INN,
    SOUTH_KPP,
    World,
    enrolment,
    excel_student_row,
    fill_students_template,
    load,
    make_world,
    packet_xml,
    representative,
    settings_for,
    snils,
    student,
)

HERE, THERE = 1, 2
D = dt.date.fromisoformat


def span(eid: int, org: int, entry: str, exit_date: str | None = None) -> Span:
    return Span(id=eid, organization_id=org, entry_date=D(entry), exit_date=D(exit_date) if exit_date else None)


@pytest.mark.parametrize(
    ("existing", "entry", "exit_date", "expected"),
    [
        ((), "2024-09-01", None, Decision(action="insert")),
        ((span(1, HERE, "2024-09-01"),), "2024-09-01", "2025-01-31", Decision(action="update", enrolment_id=1)),
        ((span(1, HERE, "2023-09-01", "2024-05-31"),), "2024-09-01", None, Decision(action="insert")),
        ((span(1, HERE, "2023-09-01"),), "2024-09-01", None,
         Decision(action="reject", error="ENROLMENT_OVERLAP", other_entry=D("2023-09-01"))),
        ((span(1, HERE, "2023-09-01", "2024-09-15"),), "2024-09-01", "2025-01-01",
         Decision(action="reject", error="ENROLMENT_OVERLAP", other_entry=D("2023-09-01"))),
        ((span(1, THERE, "2023-09-01"),), "2024-09-01", None,
         Decision(action="insert", closures=(Closure(enrolment_id=1, organization_id=THERE,
                                                     exit_date=D("2024-08-31")),))),
        ((span(1, THERE, "2024-09-01"),), "2024-09-01", None,
         Decision(action="reject", error="TRANSFER_CONFLICT", other_entry=D("2024-09-01"))),
        ((span(1, THERE, "2023-09-01"),), "2022-09-01", "2023-05-31", Decision(action="insert")),
        ((span(1, THERE, "2020-09-01", "2023-05-31"),), "2024-09-01", None, Decision(action="insert")),
    ],
    ids=["first", "resent", "after-a-closed-one", "overlap-open", "overlap-closed", "transfer",
         "transfer-conflict", "history-elsewhere", "closed-elsewhere"],
)
def test_enrolment_decisions(existing: tuple[Span, ...], entry: str, exit_date: str | None, expected: Decision) -> None:
    assert decide(organization_id=HERE, entry_date=D(entry), exit_date=D(exit_date) if exit_date else None,
                  existing=existing) == expected


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[Session, World]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        yield session, make_world(session)
    engine.dispose()


def test_a_new_enrolment_elsewhere_closes_the_old_one_as_a_transfer(
    world: tuple[Session, World], db_url: str, tmp_path: Path
) -> None:
    session, w = world
    settings = settings_for(db_url, tmp_path)
    pupil = student("p", "Рябов", "Глеб", "2013-01-01", snils_value=snils(11))
    load(session, settings, w.netschool,
         packet_xml("north-1", {"Students": [pupil], "Enrolments": [enrolment("e", "p", "2023-09-01")]}))

    outcome = load(session, settings, w.dnevnik, packet_xml(
        "south-1", {"Students": [pupil], "Enrolments": [enrolment("e", "p", "2025-01-13")]},
        provider="dnevnik", org_inn=SOUTH_INN, org_kpp=SOUTH_KPP))

    history = session.execute(
        select(Enrolment.organization_id, Enrolment.entry_date, Enrolment.exit_date, Enrolment.exit_reason_code)
        .order_by(Enrolment.entry_date)
    ).all()
    current = session.execute(select(Student.current_organization_id, Student.status_code)).one()
    assert outcome.status == "done"
    assert [tuple(row) for row in history] == [
        (w.region.north_school_id, D("2023-09-01"), D("2025-01-12"), "1"),
        (w.region.south_school_id, D("2025-01-13"), None, None),
    ]
    assert tuple(current) == (w.region.south_school_id, "1")


def test_overlapping_enrolments_at_one_organization_are_refused(
    world: tuple[Session, World], db_url: str, tmp_path: Path
) -> None:
    session, w = world
    settings = settings_for(db_url, tmp_path)
    pupil = student("p", "Рябов", "Глеб", "2013-01-01", snils_value=snils(12))
    load(session, settings, w.netschool, packet_xml("a", {
        "Students": [pupil], "Enrolments": [enrolment("e1", "p", "2023-09-01", exit_date="2024-12-31")]}))

    outcome = load(session, settings, w.netschool, packet_xml("b", {
        "Students": [pupil], "Enrolments": [enrolment("e2", "p", "2024-09-01"),
                                            enrolment("e1", "p", "2023-09-01", exit_date="2024-12-31")]}))

    errors = session.execute(select(LoadRowError.section, LoadRowError.row, LoadRowError.code, LoadRowError.message)
                             ).all()
    assert [tuple(e) for e in errors] == [("Enrolments", 1, "ENROLMENT_OVERLAP",
                                           "Период обучения с 2024-09-01 пересекается с другим зачислением в эту "
                                           "организацию (с 2023-09-01)")]
    assert (outcome.status, outcome.journal_status, outcome.counts.applied) == ("done_with_errors", "partial", 2)
    assert session.scalar(select(Student.status_code)) == "2"


def _states(session: Session) -> dict[str, tuple[object, ...]]:
    rows = session.execute(
        select(Person.snils, Student.status_code, Student.current_organization_id, Student.current_class_group_id,
               Student.education_level_code, Student.education_form_code).join(Person, Person.id == Student.id)
    ).tuples()
    return {snils_value: tuple(state) for snils_value, *state in rows}


def _links(session: Session) -> set[tuple[str | None, str | None]]:
    student, parent = aliased(Person), aliased(Person)
    rows = session.execute(
        select(student.snils, parent.snils).join(LegalRepresentative, LegalRepresentative.student_id == student.id)
        .join(parent, parent.id == LegalRepresentative.person_id)
    ).tuples()
    return set(rows)


@pytest.mark.parametrize("chunk_size", [2, 1000])
def test_students_get_their_current_state_across_slices(
    world: tuple[Session, World], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_size: int
) -> None:
    """A new student's row is written with the state its enrolments give it, whether they come in the same
    slice or in the packet's later section; representatives are linked either way."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", chunk_size)
    session, w = world
    settings = settings_for(db_url, tmp_path)
    parent = representative("Рябова", "Ольга", "1985-01-01", snils_value=snils(40))
    pupils = [student(f"p{n}", f"Рябов{n}", "Глеб", "2013-01-01", snils_value=snils(30 + n),
                      representatives=parent if n % 2 else "") for n in range(1, 6)]
    enrolments = [enrolment(f"e{n}", f"p{n}", "2024-09-01") for n in range(1, 5)]
    enrolments.append(enrolment("e4b", "p4", "2023-09-01", exit_date="2024-05-31"))

    outcome = load(session, settings, w.netschool, packet_xml("slices", {"Students": pupils,
                                                                          "Enrolments": enrolments}))

    north = w.region.north_school_id
    assert outcome.status == "done"
    studying = ("1", north, None, "3", "11")
    assert _states(session) == {**{snils(30 + n): studying for n in range(1, 5)},
                                snils(35): (None, None, None, None, None)}
    assert _links(session) == {(snils(31), snils(40)), (snils(33), snils(40)), (snils(35), snils(40))}


@pytest.mark.parametrize(("held", "updated"), [(100_000, 0), (2, 6)])
def test_a_packets_students_wait_for_their_enrolments_in_a_later_section(
    world: tuple[Session, World], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: int,
    updated: int,
) -> None:
    """A packet sends all its students, then all its enrolments: each new student's row waits for its
    enrolments and is written once, with its state – no student row is updated – unless more than
    ``late.HELD_STUDENTS`` wait: those written meanwhile are updated when their enrolments come (with two
    held, in slices of two: the third slice of students writes s1–s4, the second of enrolments s5–s7,
    and the enrolments of s1–s6 then update them)."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)
    monkeypatch.setattr(late, "HELD_STUDENTS", held)
    updates: list[int] = []
    real_update_rows = apply_enrolments.update_rows

    def counted(session, table, columns, rows):  # type: ignore[no-untyped-def]
        if table.name == "student":
            updates.append(len(rows))
        return real_update_rows(session, table, columns, rows)

    monkeypatch.setattr(apply_enrolments, "update_rows", counted)
    session, w = world
    settings = settings_for(db_url, tmp_path)
    parent = representative("Сомова", "Ольга", "1985-01-01", snils_value=snils(90))
    pupils = [student(f"s{n}", f"Сомов{n}", "Глеб", "2013-01-01", snils_value=snils(80 + n),
                      representatives=parent if n % 2 else "") for n in range(1, 8)]
    enrolments = [enrolment(f"e{n}", f"s{n}", "2024-09-01") for n in range(1, 7)]

    outcome = load(session, settings, w.netschool, packet_xml("held", {"Students": pupils,
                                                                        "Enrolments": enrolments}))

    assert outcome.status == "done"
    assert sum(updates) == updated
    studying = ("1", w.region.north_school_id, None, "3", "11")
    assert _states(session) == {**{snils(80 + n): studying for n in range(1, 7)},
                                snils(87): (None, None, None, None, None)}
    assert _links(session) == {(snils(80 + n), snils(90)) for n in (1, 3, 5, 7)}


def test_an_enrolment_resent_in_a_later_slice_of_the_same_packet_updates_the_one_written_late(
    world: tuple[Session, World], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The enrolments of a slice are written after the next slice's reads; a later slice of the same
    packet that sends one of them again (now with an exit) finds it and updates it instead of adding one."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)
    session, w = world
    settings = settings_for(db_url, tmp_path)
    pupils = [student(f"r{n}", f"Репин{n}", "Илья", "2013-01-01", snils_value=snils(60 + n)) for n in range(1, 4)]
    enrolments = [enrolment("e1", "r1", "2024-09-01"), enrolment("e2", "r2", "2024-09-01"),
                  enrolment("e3", "r3", "2024-09-01"),
                  enrolment("e4", "r1", "2024-09-01", exit_date="2025-01-31")]

    outcome = load(session, settings, w.netschool, packet_xml("resent", {"Students": pupils,
                                                                          "Enrolments": enrolments}))

    errors = session.execute(select(LoadRowError.code, LoadRowError.field, LoadRowError.value)).tuples().all()
    assert errors == []
    assert outcome.status == "done"
    rows = session.execute(
        select(Person.snils, Enrolment.entry_date, Enrolment.exit_date).join(
            Enrolment, Enrolment.student_id == Person.id
        )
    ).tuples().all()
    assert sorted(rows) == [(snils(61), D("2024-09-01"), D("2025-01-31")), (snils(62), D("2024-09-01"), None),
                            (snils(63), D("2024-09-01"), None)]
    left = session.execute(select(Student.status_code, Student.current_class_group_id).where(
        Student.id == select(Person.id).where(Person.snils == snils(61)).scalar_subquery())).one()
    assert left[0] != "1"


def test_an_excel_upload_in_slices_writes_each_student_once_with_its_state(
    world: tuple[Session, World], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)
    session, _w = world
    settings = settings_for(db_url, tmp_path)
    rows = [excel_student_row(50 + n, f"Лесков{n}", class_name=f"{5 + n % 2}А") for n in range(5)]
    content = fill_students_template(build_template("students"), rows)
    stored = store_packet(session, settings, data=content, sender=Sender(system_id=None, user_id=None),
                          file_name="upload.xlsx", format=EXCEL, kind="students")
    session.commit()

    outcome = pipeline.process_packet(session, settings, stored.packet_id, job_id=stored.job_id)

    classes = dict(session.execute(select(ClassGroup.name, ClassGroup.id)).tuples().all())
    north = w_north(session)
    assert (outcome.status, outcome.counts.applied) == ("done", 12)  # 5 students, 5 enrolments, 2 classes
    assert _states(session) == {snils(50 + n): ("1", north, classes[f"{5 + n % 2}А"], "3", "11") for n in range(5)}
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 5


def w_north(session: Session) -> int:
    return session.scalars(select(Organization.id).where(Organization.inn == NORTH_INN)).one()
