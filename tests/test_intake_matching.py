"""Identity matching, table-driven, through the real pipeline on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import make_engine, make_session_factory
from db.models import IdentityDocument, LegalRepresentative, LoadRowError, Person, Student
from db.names import normalize_name
from kontingent_ws.usecases.intake import apply, apply_people, matching, pipeline
from kontingent_ws.usecases.intake.matching import find_potential_duplicates
from tests.intakekit import World, load, make_world, packet_xml, representative, settings_for, snils, student


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    registered: tuple[tuple[str, str, str | None, str, str, str | None], ...]
    """Persons already in the registry: (last, first, middle, birth, sex, СНИЛС)."""
    incoming: str
    """The student row of the packet (providerRef = the case name)."""
    expect: str
    """``matched:<index of registered>``, ``new`` or ``refused:<code>``."""


CASES = [
    Case(name="same-snils-other-name", registered=(("Ветров", "Иван", None, "2013-01-01", "1", snils(1)),),
         incoming=student("same-snils-other-name", "Ветров-Смирнов", "Иван", "2013-01-01", snils_value=snils(1)),
         expect="matched:0"),
    Case(name="name-normalized", registered=(("Ёлкин", "Пётр", "Ильич", "2013-02-02", "1", None),),
         incoming=student("name-normalized", "ЕЛКИН", "пётр", "2013-02-02", middle="  ильич "),
         expect="matched:0"),
    Case(name="two-candidates", registered=(("Громов", "Илья", None, "2013-03-03", "1", None),
                                            ("Громов", "Илья", None, "2013-03-03", "1", None)),
         incoming=student("two-candidates", "Громов", "Илья", "2013-03-03"), expect="refused:AMBIGUOUS_PERSON"),
    Case(name="conflicting-snils", registered=(("Дымов", "Олег", None, "2013-04-04", "1", snils(2)),),
         incoming=student("conflicting-snils", "Дымов", "Олег", "2013-04-04", snils_value=snils(3)),
         expect="refused:SNILS_CONFLICT"),
    Case(name="snils-fills-a-gap", registered=(("Жуков", "Лев", None, "2013-05-05", "1", None),),
         incoming=student("snils-fills-a-gap", "Жуков", "Лев", "2013-05-05", snils_value=snils(4)),
         expect="matched:0"),
    Case(name="other-sex", registered=(("Зорин", "Саша", None, "2013-06-06", "1", None),),
         incoming=student("other-sex", "Зорина", "Саша", "2013-06-06", sex="2"), expect="new"),
    Case(name="other-birth-date", registered=(("Ильин", "Роман", None, "2013-07-07", "1", None),),
         incoming=student("other-birth-date", "Ильин", "Роман", "2013-07-08"), expect="new"),
    Case(name="unknown", registered=(), incoming=student("unknown", "Карпов", "Ян", "2013-08-08"), expect="new"),
]


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[Session, World]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        yield session, make_world(session)
    engine.dispose()


def register(session: Session, last: str, first: str, middle: str | None, birth: str, sex: str,
             snils_value: str | None) -> int:
    person = Person(last_name=last, first_name=first, middle_name=middle, last_name_norm=normalize_name(last),
                    first_name_norm=normalize_name(first), middle_name_norm=normalize_name(middle) or None,
                    sex=sex, birth_date=dt.date.fromisoformat(birth), snils=snils_value)
    session.add(person)
    session.flush()
    return person.id


def test_identity_matching_cases(world: tuple[Session, World], db_url: str, tmp_path: Path) -> None:
    session, w = world
    registered = {case.name: [register(session, *row) for row in case.registered] for case in CASES}
    session.commit()
    before = set(session.scalars(select(Person.id)))

    outcome = load(session, settings_for(db_url, tmp_path), w.netschool,
                   packet_xml("matching", {"Students": [case.incoming for case in CASES]}))

    errors = {e.row: e.code for e in session.scalars(select(LoadRowError))}
    students = set(session.scalars(select(Student.id)))
    created = set(session.scalars(select(Person.id))) - before
    got = {}
    for row, case in enumerate(CASES, start=1):
        matched = [index for index, pid in enumerate(registered[case.name]) if pid in students]
        got[case.name] = f"refused:{errors[row]}" if row in errors else f"matched:{matched[0]}" if matched else "new"
    assert got == {case.name: case.expect for case in CASES}
    assert len(created) == sum(case.expect == "new" for case in CASES)
    assert outcome.counts.rejected == 2
    filled = session.scalars(select(Person.snils).where(Person.id == registered["snils-fills-a-gap"][0])).one()
    assert filled == snils(4)


def test_potential_duplicates_report(world: tuple[Session, World]) -> None:
    session, _ = world
    first = register(session, "Лосев", "Иван", None, "2012-01-01", "1", None)
    second = register(session, "ЛОСЕВ ", "иван", None, "2012-01-01", "1", snils(9))
    register(session, "Лосев", "Иван", None, "2012-01-02", "1", None)
    session.commit()

    groups = find_potential_duplicates(session, None)

    assert [(g.last_name, g.first_name, g.birth_date, g.person_ids) for g in groups] == [
        ("ЛОСЕВ", "ИВАН", dt.date(2012, 1, 1), (first, second))
    ]
    assert find_potential_duplicates(session, _.region.north_school_id) == []  # none of them studies there


def test_a_representative_who_is_a_student_of_the_same_packet_is_one_person(
    world: tuple[Session, World], db_url: str, tmp_path: Path
) -> None:
    """The students of a slice and their representatives are matched before either is written: a
    representative who is also a student of the slice, or the parent of two siblings, is one person."""
    session, w = world
    elder = student("elder", "Орлова", "Анна", "2006-03-03", sex="2", snils_value=snils(20))
    parent = representative("Орлов", "Павел", "1980-01-01", sex="1", snils_value=snils(21))
    younger = student("younger", "Орлов", "Илья", "2014-04-04", snils_value=snils(22),
                      representatives=representative("Орлова", "Анна", "2006-03-03", snils_value=snils(20)) + parent)
    youngest = student("youngest", "Орлова", "Мария", "2016-05-05", sex="2", snils_value=snils(23),
                       representatives=parent)

    outcome = load(session, settings_for(db_url, tmp_path), w.netschool,
                   packet_xml("same-slice", {"Students": [elder, younger, youngest]}))

    assert outcome.counts.rejected == 0
    people = dict(session.execute(select(Person.snils, Person.id).where(Person.snils.in_(
        [snils(n) for n in (20, 21, 22, 23)]))).tuples().all())
    assert len(people) == 4 and session.scalar(select(func.count()).select_from(Person)) == 4
    pairs = set(session.execute(select(LegalRepresentative.student_id, LegalRepresentative.person_id)).tuples())
    assert pairs == {(people[snils(22)], people[snils(20)]), (people[snils(22)], people[snils(21)]),
                     (people[snils(23)], people[snils(21)])}


@pytest.mark.parametrize("chunk_size", [1, 1000])
def test_a_parent_of_students_in_two_slices_gets_one_document_and_one_link_each(
    world: tuple[Session, World], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_size: int
) -> None:
    """A slice's new documents and representative links are written after the next slice's reads; the
    next slice, matching the same parent with the same passport, neither adds the passport again nor
    links anyone twice."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", chunk_size)
    session, w = world
    passport = ("<IdentityDocuments><IdentityDocument><Type>21</Type><Series>4510</Series><Number>123456</Number>"
                "</IdentityDocument></IdentityDocuments>")
    parent = representative("Зорина", "Ольга", "1984-02-02", snils_value=snils(71)).replace(
        "</Snils>", f"</Snils>{passport}")
    pupils = [student(f"z{n}", "Зорин", name, birth, snils_value=snils(72 + n), representatives=parent)
              for n, (name, birth) in enumerate((("Олег", "2013-01-01"), ("Пётр", "2015-01-01"),
                                                  ("Иван", "2017-01-01")))]

    outcome = load(session, settings_for(db_url, tmp_path), w.netschool, packet_xml("parent", {"Students": pupils}))

    assert (outcome.status, outcome.counts.rejected) == ("done", 0)
    mother = session.scalars(select(Person.id).where(Person.snils == snils(71))).one()
    documents = session.execute(select(IdentityDocument.doc_type_code, IdentityDocument.series,
                                       IdentityDocument.number).where(IdentityDocument.person_id == mother)).all()
    assert documents == [("21", "4510", "123456")]
    links = session.execute(select(LegalRepresentative.student_id).where(LegalRepresentative.person_id == mother))
    assert sorted(links.scalars()) == sorted(
        session.scalars(select(Person.id).where(Person.snils.in_([snils(72), snils(73), snils(74)])))
    )


CROSS_SLICE = [
    student("a", "Лебедев", "Артём", "2012-01-01", snils_value=snils(31),
            representatives=representative("Лебедева", "Ирина", "1985-01-01", snils_value=snils(32))),
    # the mother again by СНИЛС, then by name alone: the person the first slice made
    student("b", "Лебедева", "Ксения", "2014-01-01", sex="2", snils_value=snils(33),
            representatives=representative("Лебедева", "Ирина", "1985-01-01", snils_value=snils(32))),
    student("c", "Лебедев", "Глеб", "2016-01-01", snils_value=snils(34),
            representatives=representative("Лебедева", "Ирина", "1985-01-01")),
    # a pupil of the first slice named as a representative: the student's person, not a new one
    student("d", "Лебедев", "Марк", "2018-01-01", snils_value=snils(35),
            representatives=representative("Лебедев", "Артём", "2012-01-01", sex="1")),
    # namesakes of either sex made by two slices: a representative without sex or СНИЛС is either of them,
    # a pupil with another СНИЛС conflicts with the one of his sex
    student("e", "Ким", "Саша", "2013-03-03", snils_value=snils(36)),
    student("f", "Ким", "Саша", "2013-03-03", sex="2", snils_value=snils(37)),
    student("g", "Ким", "Олег", "2015-01-01", snils_value=snils(38),
            representatives=representative("Ким", "Саша", "2013-03-03").replace("<Sex>2</Sex>", "")),
    student("h", "Ким", "Саша", "2013-03-03", snils_value=snils(39)),
]


@pytest.mark.parametrize("ahead", [True, False], ids=["looked-up-ahead", "looked-up-in-turn"])
def test_each_slice_matches_the_persons_the_slices_before_it_made(
    world: tuple[Session, World], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """One student a slice: every slice's lookups – on PostgreSQL asked for ahead, while the slice before is
    still being written (``apply_people.prefetch_students``) – see the persons the slices before made."""
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 1)
    asked = []
    if ahead:
        monkeypatch.setattr(apply_people, "PendingCandidates",
                            lambda *args: asked.append(args[1]) or matching.PendingCandidates(*args))
    else:
        monkeypatch.setattr(apply, "PREFETCHERS", {})
    session, w = world
    data = packet_xml("slices", {"Students": CROSS_SLICE})

    outcome = load(session, settings_for(db_url, tmp_path), w.netschool, data)

    errors = sorted((e.row, e.code, e.severity, e.field) for e in session.scalars(select(LoadRowError)))
    assert errors == [(7, "AMBIGUOUS_PERSON", "warning", "Representative[1]/Person"),
                      (8, "SNILS_CONFLICT", "error", "Snils")]
    assert (outcome.counts.applied, outcome.counts.rejected) == (7, 1)
    people = session.execute(select(Person.last_name, Person.first_name, Person.snils).order_by(Person.id)).all()
    assert people == [("Лебедев", "Артём", snils(31)), ("Лебедева", "Ирина", snils(32)),
                      ("Лебедева", "Ксения", snils(33)), ("Лебедев", "Глеб", snils(34)),
                      ("Лебедев", "Марк", snils(35)), ("Ким", "Саша", snils(36)), ("Ким", "Саша", snils(37)),
                      ("Ким", "Олег", snils(38))]
    ids = dict(session.execute(select(Person.snils, Person.id)).tuples().all())
    links = set(session.execute(select(LegalRepresentative.student_id, LegalRepresentative.person_id)).tuples())
    assert links == {(ids[snils(n)], ids[snils(32)]) for n in (31, 33, 34)} | {(ids[snils(35)], ids[snils(31)])}
    postgres = session.get_bind().dialect.name == "postgresql"
    assert len(asked) == (len(CROSS_SLICE) - 1 if ahead and postgres else 0)  # every slice but the first
