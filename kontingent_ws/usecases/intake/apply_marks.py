"""Diary marks, period/annual/final marks and exam results: the bulk of a packet.

Marks of students created by this packet cannot exist yet, so they go straight in by COPY; for
students already registered, the marks already stored under the same key are updated instead.

New marks are written ``MARK_COPY_ROWS`` at a time, across slices (``flush_marks``; the packet's
end writes the rest). Each statement on a mark table updates the report summaries of migration
0003 once per organization, subject and period it touches; inside one transaction every such
update adds a version of the summary row that the next one walks past, so a packet written in
statements of a thousand marks grew quadratically (2,000 statements for 100,000 students).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select

from adapters.records import DiaryMarkRecord, ExamResultRecord, PeriodMarkColumns, PeriodMarkRecord
from db.models import DiaryMark, ExamResult, PeriodMark
from kontingent_ws.usecases.intake.apply_catalog import first_year
from kontingent_ws.usecases.intake.apply_people import update_by_key
from kontingent_ws.usecases.intake.bulk import copy_formatted, copy_rows
from kontingent_ws.usecases.intake.context import ApplyContext
from kontingent_ws.usecases.intake.rowcodes import intake_error

R = TypeVar("R", DiaryMarkRecord, PeriodMarkRecord, ExamResultRecord)
_SCALE, _VALUE, _NUMERIC = attrgetter("scale"), attrgetter("value"), attrgetter("numeric")
LOOKUP_BATCH = 500
MARK_COPY_ROWS = 20_000
"""New marks per COPY statement."""
MAX_TAILS = 10_000
"""Tails of quarter-mark rows kept for reuse at most (``mark_runs.Tail``)."""

DIARY_KEY = ("student_id", "external_id")
DIARY_VALUES = ("organization_id", "subject_id", "mark_date", "scale_code", "raw_value", "numeric_value", "weight",
                "control_form_code", "comment", "source_system_id")
PERIOD_KEY = ("student_id", "subject_id", "school_year", "kind", "period_key")
PERIOD_VALUES = ("study_period_id", "organization_id", "scale_code", "raw_value", "numeric_value", "source_system_id")
"""A period mark's key is its primary key (``db.models.PeriodMark``): ``period_key`` is its study period's id, 0 for an
annual or final mark, and ``study_period_id`` the same or ``None``."""
PERIOD_COLUMNS = (*PERIOD_KEY, *PERIOD_VALUES)
EXAM_KEY = ("student_id", "exam_kind_code", "base_subject_id", "exam_date")
EXAM_VALUES = ("primary_score", "score", "mark")


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _with_students(ctx: ApplyContext, section: str, records: Sequence[R]) -> list[tuple[R, int]]:
    found = []
    for record in records:
        sid = ctx.student_id(section=section, row=record.row, ref=record.ref, student_ref=record.student_ref)
        if sid is not None:
            found.append((record, sid))
    return found


def _upsert(
    ctx: ApplyContext,
    model: Any,
    key: tuple[str, ...],
    values: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """Insert ``rows`` (key columns then value columns); rows of known students matching a stored key update it."""
    applied = len(rows)
    width = len(key)
    if model is PeriodMark and ctx.mark_runs.count:  # the runs held become rows, keyed with these
        held = ctx.mark_runs.rows()
        ctx.mark_runs.clear()
        keys = map(itemgetter(slice(0, width)), held)
        ctx.pending.setdefault(_table(model).name, {}).update(zip(keys, held, strict=True))
    new_people = ctx.new_people
    old_students = sorted(sid for sid in {row[0] for row in rows} if sid not in new_people)
    if not old_students:  # students of this packet: nothing stored to update, every row goes in
        pending = ctx.pending.setdefault(_table(model).name, {})
        # a key sent again (in this slice or an earlier one) keeps its place and takes the last row
        pending.update(zip(map(itemgetter(slice(0, width)), rows), rows, strict=True))
        if len(pending) >= MARK_COPY_ROWS:
            flush_marks(ctx, model, (*key, *values))
        ctx.applied += applied
        return
    keyed = {row[:width]: row for row in rows}  # the last of a key repeated in the slice wins
    if len(keyed) < len(rows):
        rows = list(keyed.values())
    flush_marks(ctx, model, (*key, *values))  # the lookup sees every mark written so far
    known = set(old_students)
    old = {k for k in keyed if k[0] in known}
    key_columns = [getattr(model, name) for name in key]
    # a stored row is updated by its id, or by its key where that is its primary key (period marks)
    primary = tuple(column.name for column in _table(model).primary_key.columns)
    by_id = primary != key
    stored: dict[tuple[Any, ...], Any] = {}
    for start in range(0, len(old_students), LOOKUP_BATCH):
        students = old_students[start : start + LOOKUP_BATCH]
        if by_id:
            found = ctx.session.execute(select(model.id, *key_columns).where(model.student_id.in_(students))).tuples()
            stored.update({tuple(k): i for i, *k in found if tuple(k) in old})
        else:
            found = ctx.session.execute(select(*key_columns).where(model.student_id.in_(students))).tuples()
            stored.update({k: k for k in map(tuple, found) if k in old})
    if stored:
        inserts = [row for row in rows if row[:width] not in stored]
        updates = {stored[row[:width]]: dict(zip(values, row[width:], strict=True))
                   for row in rows if row[:width] in stored}
    else:
        inserts, updates = rows, {}
    pending = ctx.pending.setdefault(_table(model).name, {})
    for row in inserts:
        pending[row[:width]] = row  # a key sent again for a new student: the last one wins, as in a slice
    if len(pending) >= MARK_COPY_ROWS:
        flush_marks(ctx, model, (*key, *values))
    update_by_key(ctx, model, updates, primary)
    ctx.applied += applied


def flush_marks(ctx: ApplyContext, model: Any, columns: tuple[str, ...]) -> None:
    """Write the new rows of ``model`` held back so far."""
    pending = ctx.pending.pop(_table(model).name, None)
    runs = ctx.mark_runs
    if model is PeriodMark and runs.count:  # held only while nothing is pending
        copy_formatted(ctx.session, _table(model), columns, runs.text, runs.rows)
        runs.clear()
    if pending:
        copy_rows(ctx.session, _table(model), columns, list(pending.values()))


def flush_all_marks(ctx: ApplyContext) -> None:
    """Write every new mark held back (before the packet's transaction ends)."""
    for model, columns in ((DiaryMark, (*DIARY_KEY, *DIARY_VALUES)), (PeriodMark, PERIOD_COLUMNS),
                           (ExamResult, (*EXAM_KEY, *EXAM_VALUES))):
        flush_marks(ctx, model, columns)


def apply_diary_marks(ctx: ApplyContext, records: Sequence[DiaryMarkRecord]) -> None:
    rows = [
        (sid, r.ref, ctx.organization_id, ctx.subjects[r.subject_ref], r.lesson_date, r.mark.scale, r.mark.value,
         r.mark.numeric, int(r.weight), r.control_form, r.comment, ctx.system_id)
        for r, sid in _with_students(ctx, "DiaryMarks", records)
    ]
    _upsert(ctx, DiaryMark, DIARY_KEY, DIARY_VALUES, rows)


def _kinds_and_periods(
    ctx: ApplyContext, columns: PeriodMarkColumns
) -> tuple[Iterable[str], Iterable[int], Iterable[int | None]]:
    """A run's kind, period key and study period id columns (an annual or final mark has no period: its key 0)."""
    periods = ctx.periods
    if columns.kinds is None:
        ids = list(map(periods.__getitem__, cast("list[str]", columns.period_refs)))
        return repeat("period"), ids, ids
    ids_or_none = [None if ref is None else periods[ref] for ref in columns.period_refs]
    return columns.kinds, [0 if period is None else period for period in ids_or_none], ids_or_none


def _column_rows(ctx: ApplyContext, columns: PeriodMarkColumns, student_ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows of a run of period marks taken column by column."""
    years = {year: first_year(year) for year in set(columns.school_years)}
    marks = columns.marks
    kinds, keys, periods = _kinds_and_periods(ctx, columns)
    return list(zip(
        student_ids, map(ctx.subjects.__getitem__, columns.subject_refs), map(years.__getitem__, columns.school_years),
        kinds, keys, periods, repeat(ctx.organization_id),
        map(_SCALE, marks), map(_VALUE, marks), map(_NUMERIC, marks), repeat(ctx.system_id),
    ))


def _hold_run(ctx: ApplyContext, columns: PeriodMarkColumns, student_ids: list[int]) -> bool:
    """Hold a run of quarter marks as COPY text pieces (``mark_runs``) when every student of it is new
    and no quarter mark is pending as a row; ``False`` when it is not held."""
    if ctx.pending.get(_table(PeriodMark).name) or not all(sid in ctx.new_people for sid in set(student_ids)):
        return False
    memo = ctx.mark_tails
    if len(memo) > MAX_TAILS:  # marks that are new objects every run (never in practice: a few scales)
        memo.clear()
    kinds = ["period"] * len(columns) if columns.kinds is None else columns.kinds
    combos = list(zip(columns.subject_refs, kinds, columns.period_refs, columns.school_years, map(id, columns.marks),
                      strict=True))
    runs = ctx.mark_runs
    try:
        tails = list(map(memo.__getitem__, combos))
    except KeyError:  # a combination not seen before (the first runs of a load)
        for combo, mark in zip(combos, columns.marks, strict=True):
            if combo not in memo:
                subject_ref, kind, period_ref, year, _ = combo
                period = None if period_ref is None else ctx.periods[period_ref]
                values = (ctx.subjects[subject_ref], first_year(year), kind, 0 if period is None else period, period,
                          ctx.organization_id, mark.scale, mark.value, mark.numeric, ctx.system_id)
                memo[combo] = runs.tail(values, len(PERIOD_KEY), keep=mark)
        tails = list(map(memo.__getitem__, combos))
    return runs.add(student_ids, tails)


def apply_period_marks(ctx: ApplyContext, records: Sequence[PeriodMarkRecord]) -> None:
    if isinstance(records, PeriodMarkColumns):
        student_ids = list(map(ctx.students.get, records.student_refs))
        if None not in student_ids:  # else a student of the run was refused: each mark is reported below
            ids: list[int] = student_ids  # type: ignore[assignment]
            if _hold_run(ctx, records, ids):
                ctx.applied += len(ids)
                if ctx.mark_runs.count >= MARK_COPY_ROWS:
                    flush_marks(ctx, PeriodMark, PERIOD_COLUMNS)
            else:
                _upsert(ctx, PeriodMark, PERIOD_KEY, PERIOD_VALUES, _column_rows(ctx, records, ids))
            return
    students, subjects, periods = ctx.students, ctx.subjects, ctx.periods
    organization_id, system_id = ctx.organization_id, ctx.system_id
    years: dict[str, int] = {}
    rows = []
    for r in records:
        sid = students.get(r.student_ref)
        if sid is None:
            ctx.student_id(section="PeriodMarks", row=r.row, ref=r.ref, student_ref=r.student_ref)  # refused
            continue
        year = years.get(r.school_year)
        if year is None:
            year = years[r.school_year] = first_year(r.school_year)
        mark = r.mark
        period = periods[r.period_ref] if r.period_ref else None
        rows.append((sid, subjects[r.subject_ref], year, r.kind, 0 if period is None else period, period,
                     organization_id, mark.scale, mark.value, mark.numeric, system_id))
    _upsert(ctx, PeriodMark, PERIOD_KEY, PERIOD_VALUES, rows)


def apply_exam_results(ctx: ApplyContext, records: Sequence[ExamResultRecord]) -> None:
    rows = []
    for r, sid in _with_students(ctx, "ExamResults", records):
        base = ctx.subject_bases.get(r.subject_ref)
        if base is None:
            ctx.refuse(intake_error("SUBJECT_NOT_MAPPED", section="ExamResults", row=r.row, ref=r.ref,
                                    field="SubjectRef", value=r.subject_ref))
            continue
        hundred = r.mark.scale == "hundred"
        score = int(r.mark.numeric) if hundred and r.mark.numeric is not None else None
        rows.append((sid, r.exam_kind, base, r.exam_date, r.primary_score, score, None if hundred else r.mark.value))
    _upsert(ctx, ExamResult, EXAM_KEY, EXAM_VALUES, rows)

