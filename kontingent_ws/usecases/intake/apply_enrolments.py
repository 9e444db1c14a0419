"""Enrolments: checked against each student's history (``validate.decide``), written in bulk, and
the students' current organization, class and status kept in step."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from adapters.records import EnrolmentRecord
from db import classifiers
from db.models import Enrolment, Student
from kontingent_ws.usecases.changefeed import record_change
from kontingent_ws.usecases.changefeed_model import ENROLMENT, STUDENT, UPSERT
from kontingent_ws.usecases.intake.apply_people import update_by_key, warn_kept
from kontingent_ws.usecases.intake.bulk import allocate_ids, rows_by_id, update_rows
from kontingent_ws.usecases.intake.context import ApplyContext, Held
from kontingent_ws.usecases.intake.late import (
    CURRENT_STATE,
    LateRows,
    take_late,
    write_late,
)
from kontingent_ws.usecases.intake.late import (
    ENROLMENT_MERGED_FIELDS as MERGED_FIELDS,
)
from kontingent_ws.usecases.intake.priority import merge_fields
from kontingent_ws.usecases.intake.rowcodes import intake_error
from kontingent_ws.usecases.intake.validate import INSERT, REJECT, TRANSFER_EXIT_REASON, Closure, decide

SECTION = "Enrolments"
STUDYING = "1"


def _load_spans(ctx: ApplyContext, student_ids: Sequence[int]) -> None:
    wanted = sorted({sid for sid in student_ids if sid not in ctx.spans})
    for sid in wanted:
        ctx.spans[sid] = []
    if not wanted:
        return
    rows = ctx.session.execute(
        select(Enrolment.id, Enrolment.student_id, Enrolment.organization_id, Enrolment.entry_date,
               Enrolment.exit_date, Enrolment.class_group_id, Enrolment.education_level_code,
               Enrolment.education_form_code, Enrolment.exit_reason_code).where(Enrolment.student_id.in_(wanted))
    ).tuples()
    for eid, sid, org, entry, exit_date, group, level, form, reason in rows:
        ctx.spans[sid].append(Held(id=eid, organization_id=org, entry_date=entry, exit_date=exit_date,
                                   class_group_id=group, education_level_code=level, education_form_code=form,
                                   exit_reason_code=reason))


def _incoming(ctx: ApplyContext, record: EnrolmentRecord) -> dict[str, Any]:
    return {
        "class_group_id": ctx.class_groups.get(record.class_group_ref) if record.class_group_ref else None,
        "education_level_code": record.education_level,
        "programme_kind_code": record.program_kind,
        "education_form_code": record.education_form,
        "exit_date": record.exit_date,
        "exit_reason_code": record.exit_reason,
    }


def _replace_span(ctx: ApplyContext, student_id: int, span: Held) -> None:
    ctx.spans[student_id] = [s for s in ctx.spans[student_id] if s.id != span.id] + [span]


def apply_enrolments(ctx: ApplyContext, records: Sequence[EnrolmentRecord]) -> None:
    """Insert new enrolments, update resent ones under priority, close transfers elsewhere.

    New enrolments wait for the next slice's reads (``late``); the students created by this slice
    wait with them, their current state filled in."""
    # the enrolments of the slice before (a packet's enrolments come in slices of their own) and their
    # students, written once this slice's reads are done; the students of this slice wait for their state
    late = take_late(ctx, hold=True) if ctx.pending_enrolments else LateRows()
    pairs = []
    for record in records:
        sid = ctx.student_id(section=SECTION, row=record.row, ref=record.ref, student_ref=record.student_ref)
        if sid is not None:
            pairs.append((record, sid))
    _load_spans(ctx, [sid for _, sid in pairs])
    resent = [s.id for _, sid in pairs for s in ctx.spans[sid] if s.organization_id == ctx.organization_id]
    if resent:  # may be enrolments of the slice before
        write_late(ctx, late)
        late = LateRows()
    ctx.provenance.load(ctx.session, ENROLMENT, resent)
    currents = _currents(ctx, resent)
    inserts: list[tuple[Any, ...]] = []
    updates: dict[int, dict[str, Any]] = {}
    closures: list[Closure] = []
    ids = iter(allocate_ids(ctx.session, Enrolment.__table__, len(pairs)))  # type: ignore[arg-type]
    write_late(ctx, late)
    touched: set[int] = set()
    for record, sid in pairs:
        decision = decide(organization_id=ctx.organization_id, entry_date=record.entry_date,
                          exit_date=record.exit_date, existing=ctx.spans[sid])
        if decision.action == REJECT:
            assert decision.error is not None and decision.other_entry is not None
            ctx.refuse(intake_error(decision.error, section=SECTION, row=record.row, ref=record.ref,
                                    field="EntryDate", value=record.entry_date.isoformat(),
                                    other_entry=decision.other_entry.isoformat()))
            continue
        values = _incoming(ctx, record)
        if decision.action == INSERT:
            eid = next(ids)
            inserts.append((eid, sid, ctx.organization_id, record.entry_date, record.entry_reason, True,
                            ctx.system_id, ctx.packet_id, *(values[name] for name in MERGED_FIELDS)))
            ctx.provenance.record(ENROLMENT, eid, [name for name in MERGED_FIELDS if values[name] is not None])
        else:
            assert decision.enrolment_id is not None
            eid = decision.enrolment_id
            current = currents[eid]
            merge = merge_fields(ctx.rules, ctx.provenance, entity=ENROLMENT, entity_id=eid, current=current,
                                 incoming=values, writer=ctx.system_id)
            warn_kept(ctx, SECTION, record.row, record.ref, "", merge.kept, merge.kept_by, current)
            if merge.changes:
                updates.setdefault(eid, {}).update(merge.changes)
                current.update(merge.changes)
            values = current
        _replace_span(ctx, sid, Held(
            id=eid, organization_id=ctx.organization_id, entry_date=record.entry_date, exit_date=values["exit_date"],
            class_group_id=values["class_group_id"], education_level_code=values["education_level_code"],
            education_form_code=values["education_form_code"], exit_reason_code=values["exit_reason_code"],
        ))
        for closure in decision.closures:
            closures.append(closure)
            old = next(s for s in ctx.spans[sid] if s.id == closure.enrolment_id)
            _replace_span(ctx, sid, replace(old, exit_date=closure.exit_date, exit_reason_code=TRANSFER_EXIT_REASON))
        record_change(ctx.session, ENROLMENT, eid, UPSERT, org_unit_id=ctx.organization_id)
        touched.add(sid)
        ctx.applied += 1
    states = {sid: _current_state(ctx, sid) for sid in sorted(touched)}
    pending = ctx.pending_students
    for sid, state in states.items():
        row = pending.get(sid)
        if row is not None:  # created by this slice and not written yet: written with its state
            row[-len(CURRENT_STATE):] = state
    ctx.pending_enrolments.extend(inserts)
    update_by_key(ctx, Enrolment, updates)
    _close_transfers(ctx, closures)
    _refresh_students(ctx, states, written=pending)


def _currents(ctx: ApplyContext, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    return {
        row[0]: dict(zip(MERGED_FIELDS, row[1:], strict=True))
        for row in rows_by_id(ctx.session, Enrolment.__table__, MERGED_FIELDS, sorted(set(ids)))  # type: ignore[arg-type]
    }


def _close_transfers(ctx: ApplyContext, closures: Sequence[Closure]) -> None:
    """Close the open enrolments elsewhere the day before the new entry, as transfers."""
    if not closures:
        return
    update_rows(ctx.session, Enrolment.__table__, ("exit_date", "exit_reason_code"),  # type: ignore[arg-type]
                [(c.enrolment_id, c.exit_date, TRANSFER_EXIT_REASON) for c in closures])
    for closure in closures:
        record_change(ctx.session, ENROLMENT, closure.enrolment_id, UPSERT, org_unit_id=closure.organization_id)


def _current_state(ctx: ApplyContext, student_id: int) -> tuple[Any, ...]:
    """The student's current status, organization, class, level and form (``CURRENT_STATE``) from its enrolments."""
    spans = ctx.spans[student_id]
    open_spans = [s for s in spans if s.exit_date is None]
    if open_spans:
        span = max(open_spans, key=lambda s: s.entry_date)
        status, group = STUDYING, span.class_group_id
    else:
        span = max(spans, key=lambda s: (s.exit_date, s.entry_date))
        item = classifiers.item_of(classifiers.EXIT_REASON, span.exit_reason_code or "")
        status, group = (item.extra.get("status", "2") if item else "2"), None
    return status, span.organization_id, group, span.education_level_code, span.education_form_code


def _refresh_students(ctx: ApplyContext, states: dict[int, tuple[Any, ...]], *, written: Container[int]) -> None:
    """Each student's current state from its enrolments: updated, unless ``written`` with its row just now."""
    rows = []
    for sid, state in states.items():
        if sid not in written:
            rows.append((sid, *state))
        record_change(ctx.session, STUDENT, sid, UPSERT, org_unit_id=state[1])
    update_rows(ctx.session, Student.__table__, CURRENT_STATE, rows)  # type: ignore[arg-type]
