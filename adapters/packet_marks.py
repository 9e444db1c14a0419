"""Row readers of the mark sections: diary marks, period/annual/final marks, exam results."""

from __future__ import annotations

from decimal import Decimal

from adapters.packet_fields import Fields
from adapters.packet_state import PacketState
from adapters.records import DiaryMarkRecord, ExamResultRecord, MarkValue, PeriodMarkRecord
from adapters.validation import check_mark
from db import classifiers


def read_mark(fields: Fields) -> MarkValue | None:
    """``Scale`` and ``Value`` as a mark: the value must belong to the scale."""
    scale = fields.code("Scale", classifiers.MARK_SCALE, required=True)
    if scale is None:
        return None
    return check_mark(fields.sink, fields.name("Value"), scale, fields.text("Value"))


def read_diary_mark(fields: Fields, state: PacketState) -> DiaryMarkRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    subject_ref = state.resolve(fields, "SubjectRef", "Subjects")
    lesson_date = fields.date("Date", required=True, not_after=state.today)
    mark = read_mark(fields)
    weight = fields.decimal("Weight")
    control_form = fields.code("ControlForm", classifiers.CONTROL_FORM)
    if student_ref is None or subject_ref is None or lesson_date is None or mark is None:
        return None
    return DiaryMarkRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        subject_ref=subject_ref,
        lesson_date=lesson_date,
        mark=mark,
        weight=Decimal(1) if weight is None else weight,
        control_form=control_form,
        comment=fields.text("Comment"),
    )


def read_period_mark(fields: Fields, state: PacketState) -> PeriodMarkRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    subject_ref = state.resolve(fields, "SubjectRef", "Subjects")
    has_period = fields.text("PeriodRef") is not None
    period_ref = state.resolve(fields, "PeriodRef", "StudyPeriods") if has_period else None
    kind = "period" if has_period else fields.code("Kind", classifiers.PERIOD_MARK_KIND, required=True)
    year = fields.school_year("SchoolYear")
    mark = read_mark(fields)
    if student_ref is None or subject_ref is None or kind is None or year is None or mark is None:
        return None
    return PeriodMarkRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        subject_ref=subject_ref,
        kind=kind,
        period_ref=period_ref,
        school_year=year,
        mark=mark,
    )


def read_exam_result(fields: Fields, state: PacketState) -> ExamResultRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    subject_ref = state.resolve(fields, "SubjectRef", "Subjects")
    exam_kind = fields.code("ExamKind", classifiers.EXAM_KIND, required=True)
    exam_date = fields.date("Date", required=True, not_after=state.today)
    primary_score = fields.integer("PrimaryScore")
    mark = read_mark(fields)
    if student_ref is None or subject_ref is None or exam_kind is None or exam_date is None or mark is None:
        return None
    return ExamResultRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        subject_ref=subject_ref,
        exam_kind=exam_kind,
        exam_date=exam_date,
        primary_score=primary_score,
        mark=mark,
    )
