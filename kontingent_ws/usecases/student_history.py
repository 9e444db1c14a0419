"""A student's trajectory (enrolments across organizations, achievements) and performance.

Both are personal data: each read is audited as one event about the student.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, select
from sqlalchemy.orm import aliased

from db.classifiers import (
    CONTROL_FORM,
    EDUCATION_FORM,
    EDUCATION_LEVEL,
    ENTRY_REASON,
    EXAM_KIND,
    EXIT_REASON,
    MARK_SCALE,
    PERIOD_MARK_KIND,
    PROGRAM_KIND,
    STUDY_PERIOD_KIND,
)
from db.dates import school_year_of
from db.models import (
    Achievement,
    BaseSubject,
    ClassGroup,
    DiaryMark,
    Enrolment,
    ExamResult,
    LocalSubject,
    OrgUnit,
    PeriodMark,
    StudyPeriod,
)
from kontingent_ws.call import CallContext
from kontingent_ws.errors import ValidationError
from kontingent_ws.security import audit
from kontingent_ws.usecases.paging import checked_range, label
from kontingent_ws.usecases.students import ensure_student_visible

MIGRATION_OBJECT = "student_migration"
PERFORMANCE_OBJECT = "student_performance"
EARLIEST_SCHOOL_YEAR = 1990
LATEST_SCHOOL_YEAR = 2100
_KIND_ORDER = case({"period": 0, "annual": 1, "final": 2}, value=PeriodMark.kind)


@dataclass(frozen=True, kw_only=True)
class EnrolmentView:
    organization_id: int
    organization_name: str
    class_group_id: int | None
    class_name: str | None
    programme_kind: str | None
    programme_kind_name: str | None
    programme_name: str | None
    education_level: str | None
    education_level_name: str | None
    education_form: str
    education_form_name: str | None
    specialty_code: str | None
    is_primary: bool
    entry_date: dt.date
    entry_reason: str
    entry_reason_name: str | None
    entry_order: str | None
    exit_date: dt.date | None
    exit_reason: str | None
    exit_reason_name: str | None
    exit_order: str | None


@dataclass(frozen=True, kw_only=True)
class AchievementView:
    achieved_on: dt.date
    kind: str
    title: str
    level: str | None
    result: str | None


@dataclass(frozen=True, kw_only=True)
class Migration:
    enrolments: list[EnrolmentView]
    """Ordered by entry date: the trajectory."""
    achievements: list[AchievementView]


@dataclass(frozen=True, kw_only=True)
class MarkValue:
    scale: str
    scale_name: str | None
    value: str
    """As given: ``5``, ``зач``, ``н/а`` …"""
    numeric: Decimal | None


@dataclass(frozen=True, kw_only=True)
class DiaryMarkView:
    date: dt.date
    organization_id: int
    subject: str
    base_subject: str | None
    mark: MarkValue
    weight: int
    control_form: str | None
    control_form_name: str | None
    comment: str | None


@dataclass(frozen=True, kw_only=True)
class PeriodMarkView:
    school_year: int
    kind: str
    """``period``, ``annual`` or ``final``."""
    kind_name: str | None
    period_kind: str | None
    period_kind_name: str | None
    period_number: int | None
    organization_id: int
    subject: str
    base_subject: str | None
    mark: MarkValue


@dataclass(frozen=True, kw_only=True)
class ExamView:
    exam_kind: str
    exam_kind_name: str | None
    subject: str
    exam_date: dt.date
    primary_score: int | None
    score: int | None
    mark: str | None


@dataclass(frozen=True, kw_only=True)
class Performance:
    school_year_from: int
    school_year_to: int
    diary: list[DiaryMarkView]
    periods: list[PeriodMarkView]
    """Period, annual and final marks of the school years ``school_year_from..school_year_to``."""
    exams: list[ExamView]
    """Exams taken in those school years."""




def get_student_migration(call: CallContext, *, student_id: int) -> Migration:
    """Every enrolment of the student in entry order, and the student's achievements."""
    ensure_student_visible(call, student_id, object_type=MIGRATION_OBJECT)
    organization = aliased(OrgUnit)
    rows = call.session.execute(
        select(Enrolment, organization.short_name, ClassGroup.name)
        .join(organization, organization.id == Enrolment.organization_id)
        .outerjoin(ClassGroup, ClassGroup.id == Enrolment.class_group_id)
        .where(Enrolment.student_id == student_id)
        .order_by(Enrolment.entry_date, Enrolment.id)
    ).tuples()
    enrolments = [
        EnrolmentView(
            organization_id=e.organization_id,
            organization_name=org_name,
            class_group_id=e.class_group_id,
            class_name=class_name,
            programme_kind=e.programme_kind_code,
            programme_kind_name=label(PROGRAM_KIND, e.programme_kind_code),
            programme_name=e.programme_name,
            education_level=e.education_level_code,
            education_level_name=label(EDUCATION_LEVEL, e.education_level_code),
            education_form=e.education_form_code,
            education_form_name=label(EDUCATION_FORM, e.education_form_code),
            specialty_code=e.specialty_code,
            is_primary=e.is_primary,
            entry_date=e.entry_date,
            entry_reason=e.entry_reason_code,
            entry_reason_name=label(ENTRY_REASON, e.entry_reason_code),
            entry_order=e.entry_order,
            exit_date=e.exit_date,
            exit_reason=e.exit_reason_code,
            exit_reason_name=label(EXIT_REASON, e.exit_reason_code),
            exit_order=e.exit_order,
        )
        for e, org_name, class_name in rows
    ]
    achievements = [
        AchievementView(achieved_on=a.achieved_on, kind=a.kind, title=a.title, level=a.level, result=a.result)
        for a in call.session.scalars(
            select(Achievement)
            .where(Achievement.student_id == student_id)
            .order_by(Achievement.achieved_on, Achievement.id)
        )
    ]
    audit.record_reads(call, [student_id], object_type=MIGRATION_OBJECT)
    return Migration(enrolments=enrolments, achievements=achievements)


def get_student_performance(
    call: CallContext, *, student_id: int, date_from: dt.date, date_to: dt.date, school_year: int | None
) -> Performance:
    """Diary marks dated within ``date_from..date_to``; period, annual and final marks and exams of
    ``school_year`` or, when it is not given, of the school years the date range touches."""
    checked_range(date_from, date_to, field_from="DateFrom", field_to="DateTo")
    if school_year is not None and not EARLIEST_SCHOOL_YEAR <= school_year <= LATEST_SCHOOL_YEAR:
        raise ValidationError(
            f"Учебный год SchoolYear должен быть от {EARLIEST_SCHOOL_YEAR} до {LATEST_SCHOOL_YEAR}",
            field="SchoolYear",
        )
    ensure_student_visible(call, student_id, object_type=PERFORMANCE_OBJECT)
    first = school_year if school_year is not None else school_year_of(date_from)
    last = school_year if school_year is not None else school_year_of(date_to)
    base = aliased(BaseSubject)
    diary = [
        DiaryMarkView(
            date=m.mark_date,
            organization_id=m.organization_id,
            subject=subject,
            base_subject=base_name,
            mark=_mark(m.scale_code, m.raw_value, m.numeric_value),
            weight=m.weight,
            control_form=m.control_form_code,
            control_form_name=label(CONTROL_FORM, m.control_form_code),
            comment=m.comment,
        )
        for m, subject, base_name in call.session.execute(
            select(DiaryMark, LocalSubject.name, base.name)
            .join(LocalSubject, LocalSubject.id == DiaryMark.subject_id)
            .outerjoin(base, base.id == LocalSubject.base_subject_id)
            .where(DiaryMark.student_id == student_id, DiaryMark.mark_date.between(date_from, date_to))
            .order_by(DiaryMark.mark_date, LocalSubject.name, DiaryMark.id)
        ).tuples()
    ]
    periods = [
        PeriodMarkView(
            school_year=m.school_year,
            kind=m.kind,
            kind_name=label(PERIOD_MARK_KIND, m.kind),
            period_kind=period_kind,
            period_kind_name=label(STUDY_PERIOD_KIND, period_kind),
            period_number=period_number,
            organization_id=m.organization_id,
            subject=subject,
            base_subject=base_name,
            mark=_mark(m.scale_code, m.raw_value, m.numeric_value),
        )
        for m, subject, base_name, period_kind, period_number in call.session.execute(
            select(PeriodMark, LocalSubject.name, base.name, StudyPeriod.kind_code, StudyPeriod.number)
            .join(LocalSubject, LocalSubject.id == PeriodMark.subject_id)
            .outerjoin(base, base.id == LocalSubject.base_subject_id)
            .outerjoin(StudyPeriod, StudyPeriod.id == PeriodMark.study_period_id)
            .where(PeriodMark.student_id == student_id, PeriodMark.school_year.between(first, last))
            .order_by(PeriodMark.school_year, LocalSubject.name, _KIND_ORDER, StudyPeriod.number)
        ).tuples()
    ]
    exams = [
        ExamView(
            exam_kind=e.exam_kind_code,
            exam_kind_name=label(EXAM_KIND, e.exam_kind_code),
            subject=subject,
            exam_date=e.exam_date,
            primary_score=e.primary_score,
            score=e.score,
            mark=e.mark,
        )
        for e, subject in call.session.execute(
            select(ExamResult, BaseSubject.name)
            .join(BaseSubject, BaseSubject.id == ExamResult.base_subject_id)
            .where(
                ExamResult.student_id == student_id,
                ExamResult.exam_date >= dt.date(first, 9, 1),
                ExamResult.exam_date < dt.date(last + 1, 9, 1),
            )
            .order_by(ExamResult.exam_date, BaseSubject.name)
        ).tuples()
    ]
    audit.record_reads(call, [student_id], object_type=PERFORMANCE_OBJECT, details=f"{date_from}..{date_to}")
    return Performance(school_year_from=first, school_year_to=last, diary=diary, periods=periods, exams=exams)


def _mark(scale: str, raw: str, numeric: float | Decimal | None) -> MarkValue:
    return MarkValue(
        scale=scale,
        scale_name=label(MARK_SCALE, scale),
        value=raw,
        numeric=Decimal(str(numeric)) if numeric is not None else None,
    )
