"""Writing a packet's slices: each section to its writer, in one transaction owned by the caller."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from adapters.records import MappedChunk
from kontingent_ws.usecases.intake.apply_catalog import apply_class_groups, apply_study_periods, apply_subjects
from kontingent_ws.usecases.intake.apply_enrolments import apply_enrolments
from kontingent_ws.usecases.intake.apply_marks import (
    apply_diary_marks,
    apply_exam_results,
    apply_period_marks,
    flush_all_marks,
)
from kontingent_ws.usecases.intake.apply_organization import apply_organization
from kontingent_ws.usecases.intake.apply_people import apply_students
from kontingent_ws.usecases.intake.apply_queue import apply_queue_applications
from kontingent_ws.usecases.intake.context import ApplyContext
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
HEADER_SECTIONS = frozenset({"Packet", "Organization"})

LOAD_GC_THRESHOLD = 50_000
"""Net allocations of container objects between two runs of the cyclic garbage collector during a
load (Python's default is 700)."""
_gc_lock = threading.Lock()
_gc_loads = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def few_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely while a load maps and writes its rows.

    A load allocates millions of short-lived tuples, records and dictionaries. With the default
    threshold the collector ran thousands of times during a packet of 20,000 students, and each
    run of its oldest generation walked every live object of the process: a fifth of the load's
    CPU. The rows are freed by reference counting as before; only cycles wait a little longer.
    The threshold is process-wide: the first load in raises it, the last one out restores it.
    """
    global _gc_loads, _gc_saved
    with _gc_lock:
        if _gc_loads == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(LOAD_GC_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_loads += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_loads -= 1
            if _gc_loads == 0:
                gc.set_threshold(*_gc_saved)


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


def apply_chunks(ctx: ApplyContext, chunks: Iterable[MappedChunk], after_chunk: AfterChunk | None = None) -> None:
    """Write every slice in order (mapped while they are read: ``chunks`` may be a stream); nothing
    is committed here."""
    with few_collections():
        for written, chunk in enumerate(chunks, start=1):
            ctx.errors.extend(chunk.errors)
            writer = WRITERS.get(chunk.section)
            if writer is not None and chunk.records:
                writer(ctx, chunk.records)
            elif chunk.section not in HEADER_SECTIONS:
                _refuse_section(ctx, chunk)
            ctx.provenance.save(ctx.session, system_id=ctx.system_id, packet_id=ctx.packet_id, now=ctx.now)
            if after_chunk is not None:
                after_chunk(written)
        flush_all_marks(ctx)
