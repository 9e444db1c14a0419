"""Rebuild of ``student_surname`` (students' normalized surnames, kept by triggers of migration 0005)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from db.models import Person, Student, StudentSurname


def refresh_student_surnames(session: Session) -> int:
    """Rebuild ``student_surname`` from ``student`` ⋈ ``person`` in the session's transaction (the
    caller commits), after writes that bypass triggers; on PostgreSQL both are locked against writes
    meanwhile. Returns its rows."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE student, person IN SHARE MODE"))
    session.execute(delete(StudentSurname))
    session.execute(
        insert(StudentSurname).from_select(
            ["student_id", "surname_norm"],
            select(Student.id, Person.last_name_norm).join(Person, Person.id == Student.id),
        )
    )
    return int(session.scalar(select(func.count()).select_from(StudentSurname)) or 0)
