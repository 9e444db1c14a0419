"""Rows a slice creates that no read of the next slice needs, written after that slice's reads.

On PostgreSQL writes run in the background in order (``copy_pipe``) and a read waits for every
write queued before it. A slice's lookups read persons, their fields, documents and provenance, but
not the rows of students, of their links to their representatives or of enrolments (a student the
packet created has its enrolments in memory, ``ApplyContext.spans``). So those rows wait in
``ApplyContext.pending_*`` and are queued after the next slice's reads: the server writes them while
the loader works on that slice instead of the reads waiting for them. ``apply_chunks`` writes what
is left before any section that reads them and at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from db.models import Enrolment, LegalRepresentative, Student
from kontingent_ws.usecases.intake.bulk import copy_rows
from kontingent_ws.usecases.intake.context import ApplyContext

STUDENT_COLUMNS = ("id", "has_special_needs", "health_group_code", "source_system_id", "source_packet_id")
CURRENT_STATE = ("status_code", "current_organization_id", "current_class_group_id", "education_level_code",
                 "education_form_code")
"""The student's columns kept in step with its enrolments (``apply_enrolments``)."""
REPRESENTATIVE_COLUMNS = ("student_id", "person_id", "kind_code", "is_primary_contact")
ENROLMENT_MERGED_FIELDS = ("class_group_id", "education_level_code", "programme_kind_code", "education_form_code",
                           "exit_date", "exit_reason_code")
ENROLMENT_COLUMNS = ("id", "student_id", "organization_id", "entry_date", "entry_reason_code", "is_primary",
                     "source_system_id", "source_packet_id", *ENROLMENT_MERGED_FIELDS)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass(kw_only=True)
class LateRows:
    """New rows of a slice that no read of the next slice needs: students, their links to their
    representatives, enrolments (taken from ``ApplyContext.pending_*``)."""

    students: dict[int, list[object]] = field(default_factory=dict)
    links: list[tuple[Any, ...]] = field(default_factory=list)
    enrolments: list[tuple[Any, ...]] = field(default_factory=list)


def take_late(ctx: ApplyContext) -> LateRows:
    """Take the rows earlier slices left unwritten, to be written by ``write_late`` after the reads of
    the slice at hand."""
    late = LateRows(students=ctx.pending_students, links=ctx.pending_links, enrolments=ctx.pending_enrolments)
    ctx.pending_students, ctx.pending_links, ctx.pending_enrolments = {}, [], []
    return late


def write_late(ctx: ApplyContext, late: LateRows) -> None:
    """Write taken rows: the students, then their links and enrolments (which refer to them)."""
    if late.students:
        copy_rows(ctx.session, _table(Student), (*STUDENT_COLUMNS, *CURRENT_STATE),
                  [tuple(row) for row in late.students.values()])
    if late.links:
        copy_rows(ctx.session, _table(LegalRepresentative), REPRESENTATIVE_COLUMNS, late.links)
    if late.enrolments:
        copy_rows(ctx.session, _table(Enrolment), ENROLMENT_COLUMNS, late.enrolments)


def flush_students(ctx: ApplyContext) -> None:
    """Write the student rows created and not written yet – with the current state the enrolments of
    their slice gave them, if any – then their links to their representatives and the enrolments
    waiting for the next slice's reads.

    A new student's row waits for the enrolments of its slice (an Excel row has both), so that it is
    written once with its current organization, class and status instead of written and then updated
    (an index update of every student). ``apply_chunks`` calls this before any other section and at the end.
    """
    write_late(ctx, take_late(ctx))
