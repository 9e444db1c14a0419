"""Rows a slice creates that no read of the next slice needs, written after that slice's reads.

On PostgreSQL writes run in the background in order (``copy_pipe``) and a read waits for every
write queued before it. A slice's lookups read persons, their fields, documents and provenance, but
not the rows of students, of their links to their representatives or of enrolments (a student the
packet created has its enrolments in memory, ``ApplyContext.spans``). So those rows wait in
``ApplyContext.pending_*`` and are queued after a later slice's reads: the server writes them while
the loader works on that slice instead of the reads waiting for them.

A new student's row waits for its enrolments, so that it is written once with its current
organization, class and status instead of written and then updated (``UPDATE student`` of every
student: 1.8 s of the server for a packet of 100,000, whose enrolments come in a section after all
its students). The enrolments of a slice are written after the next slice's reads with the students
they belong to; other students wait, up to ``HELD_STUDENTS`` of them. ``apply_chunks`` writes what
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


HELD_STUDENTS = 100_000
"""New students whose rows wait for their enrolments at most (a few hundred bytes each); beyond, the
rows waiting are written and the enrolments still to come update them."""


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


def take_late(ctx: ApplyContext, *, hold: bool = False) -> LateRows:
    """Take the rows earlier slices left unwritten, to be written by ``write_late`` after the reads of
    the slice at hand. With ``hold`` the students that no enrolment taken refers to stay (with their
    links), unless more than ``HELD_STUDENTS`` wait."""
    if hold and len(ctx.pending_students) <= HELD_STUDENTS:
        enrolments, ctx.pending_enrolments = ctx.pending_enrolments, []
        held, links = ctx.pending_students, ctx.pending_links
        students = {sid: held.pop(sid) for sid in dict.fromkeys(row[1] for row in enrolments) if sid in held}
        taken = [link for sid in students for link in links.pop(sid, ())]
        return LateRows(students=students, links=taken, enrolments=enrolments)
    late = LateRows(students=ctx.pending_students, enrolments=ctx.pending_enrolments,
                    links=[link for links in ctx.pending_links.values() for link in links])
    ctx.pending_students, ctx.pending_links, ctx.pending_enrolments = {}, {}, []
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
    """Write the student rows created and not written yet – with the current state their enrolments
    gave them, if any – then their links to their representatives and the enrolments waiting for the
    next slice's reads. ``apply_chunks`` calls this before any section that reads or refers to them and
    at the end."""
    write_late(ctx, take_late(ctx))
