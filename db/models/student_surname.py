"""Students' normalized surnames, a narrow table for counting a surname-prefix search.

Counting the students whose surname starts with a prefix through ``person`` walks every person
with the prefix (persons outnumber students) and probes ``student`` for each; this table holds
only students, so the count is a range walk of one small index. It is derived data: database
triggers (migration 0005) keep it equal to ``student`` ⋈ ``person`` on every INSERT and DELETE
of a student and every change of a person's ``last_name_norm``;
``db.student_surnames.refresh_student_surnames`` rebuilds it after writes that bypass triggers.
No foreign keys: a row must never block deleting what it mirrors.
"""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class StudentSurname(Base):
    """A student with the normalized surname of its person (``person.last_name_norm``)."""

    __tablename__ = "student_surname"
    __table_args__ = (Index("ix_student_surname_norm", "surname_norm"),)

    student_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    surname_norm: Mapped[str] = mapped_column(String(100))
    """Compared by code point (SQLite; PostgreSQL with the C or C.UTF-8 collation), as
    :func:`kontingent_ws.usecases.paging.prefix_range` requires."""
