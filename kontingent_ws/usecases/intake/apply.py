"""Writing a packet's slices: each section to its writer, in one transaction owned by the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from adapters.records import MappedChunk, few_collections
from kontingent_ws.usecases.intake.apply_catalog import apply_class_groups, apply_study_periods, apply_subjects
from kontingent_ws.usecases.intake.apply_enrolments import apply_enrolments
from kontingent_ws.usecases.intake.apply_marks import (
    apply_diary_marks,
    apply_exam_results,
    apply_period_marks,
    flush_all_marks,
)
from kontingent_ws.usecases.intake.apply_organization import apply_organization
from kontingent_ws.usecases.intake.apply_people import apply_students, prefetch_students
from kontingent_ws.usecases.intake.apply_queue import apply_queue_applications
from kontingent_ws.usecases.intake.context import ApplyContext
from kontingent_ws.usecases.intake.late import flush_students
from kontingent_ws.usecases.intake.rowcodes import intake_error

Writer = Callable[[ApplyContext, Sequence[Any]], None]

WRITERS: dict[str, Writer] = {
    "Organization": apply_organization,
    "ClassGroups": apply_class_groups,
    "Subjects": apply_subjects,
    "StudyPeriods": apply_study_periods,
    "Students": apply_students,
    "Enrolments": apply_enrolments,
    "DiaryMarks": apply_diary_marks,
    "PeriodMarks": apply_period_marks,
    "ExamResults": apply_exam_results,
    "QueueApplications": apply_queue_applications,
}
"""Section name → its writer (the organization's requisites only for the organization the header
names); sections without a writer are refused row by row."""
PREFETCHERS: dict[str, Writer] = {"Students": prefetch_students}
"""Section → what its writer reads, asked for ahead once the slice before is queued (PostgreSQL)."""
HEADER_SECTIONS = frozenset({"Packet", "Organization"})
WAITING_FOR_ENROLMENTS = frozenset({"Students", "Enrolments", "ClassGroups"})
"""Sections between a slice's students and its enrolments that leave the new student rows unwritten
(``late.flush_students``): they neither read nor reference students."""

AfterChunk = Callable[[int], None]
"""Called with the number of slices written so far (progress, tests' pause point)."""


def _refuse_section(ctx: ApplyContext, chunk: MappedChunk) -> None:
    for record in chunk.records:
        ctx.refuse(
            intake_error(
                "SECTION_NOT_LOADED", section=chunk.section, row=getattr(record, "row", 0),
                ref=getattr(record, "ref", None), field=chunk.section, value=chunk.section,
            )
        )


def _ahead(chunks: Iterable[MappedChunk]) -> Iterator[tuple[MappedChunk, MappedChunk | None]]:
    """Each slice with the one after it, mapped before the slice is written."""
    iterator = iter(chunks)
    chunk = next(iterator, None)
    while chunk is not None:
        following = next(iterator, None)
        yield chunk, following
        chunk = following


def apply_chunks(ctx: ApplyContext, chunks: Iterable[MappedChunk], after_chunk: AfterChunk | None = None) -> None:
    """Write every slice in order (mapped while they are read: ``chunks`` may be a stream); nothing
    is committed here. The stream is read one slice ahead: once a slice's writes are queued, the
    lookups of the next slice of students are (``prefetch_students``), and the server runs both while
    the slice after is mapped."""
    with few_collections():
        for written, (chunk, following) in enumerate(_ahead(chunks), start=1):
            ctx.errors.extend(chunk.errors)
            writer = WRITERS.get(chunk.section)
            if chunk.section not in WAITING_FOR_ENROLMENTS:
                flush_students(ctx)
            if writer is not None and chunk.records:
                writer(ctx, chunk.records)
            elif chunk.section not in HEADER_SECTIONS:
                _refuse_section(ctx, chunk)
            ctx.provenance.save(ctx.session, system_id=ctx.system_id, packet_id=ctx.packet_id, now=ctx.now)
            if after_chunk is not None:
                after_chunk(written)
            if following is not None and following.records and (prefetch := PREFETCHERS.get(following.section)):
                prefetch(ctx, following.records)
        flush_students(ctx)
        flush_all_marks(ctx)
