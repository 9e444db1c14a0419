"""student_surname stays equal to student ⋈ person through inserts, surname changes, deletes and
cascades, on every backend; a rebuild gives the same rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from db.models import Person, Student, StudentSurname
from db.student_surnames import refresh_student_surnames


def _joined(session: Session) -> dict[int, str]:
    joined = select(Student.id, Person.last_name_norm).join(Person, Person.id == Student.id)
    return dict(session.execute(joined).tuples().all())


def _kept(session: Session) -> dict[int, str]:
    return dict(session.execute(select(StudentSurname.student_id, StudentSurname.surname_norm)).tuples().all())


def _person(surname: str) -> dict[str, object]:
    return {
        "last_name": surname.capitalize(),
        "first_name": "Анна",
        "last_name_norm": surname,
        "first_name_norm": "анна",
        "sex": "2",
        "birth_date": dt.date(2012, 3, 4),
    }


def test_student_surname_follows_every_write(session: Session) -> None:
    names = ["белова", "беляева", "иванова", "белова", "орлова"]
    ids = [session.execute(insert(Person).values(**_person(name)).returning(Person.id)).scalar_one() for name in names]
    session.execute(insert(Student), [{"id": person_id} for person_id in ids[:4]])  # ids[4]: a parent, no student
    session.flush()
    assert _kept(session) == _joined(session) and set(_kept(session)) == set(ids[:4])

    session.execute(update(Person).where(Person.id == ids[0]).values(last_name_norm="белых"))
    session.execute(update(Person).where(Person.id == ids[4]).values(last_name_norm="орлов"))
    session.execute(update(Person).where(Person.id == ids[1]).values(first_name_norm="мария"))
    assert _kept(session) == _joined(session) and _kept(session)[ids[0]] == "белых"

    session.execute(delete(Student).where(Student.id == ids[2]))
    session.execute(delete(Person).where(Person.id == ids[3]))  # cascades to its student
    assert _kept(session) == _joined(session) == {ids[0]: "белых", ids[1]: "беляева"}

    session.execute(delete(StudentSurname))
    assert refresh_student_surnames(session) == 2
    assert _kept(session) == _joined(session)
