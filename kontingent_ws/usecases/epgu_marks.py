"""The pupil's electronic diary over a date range, grouped by organization and subject.

Organizations are those where the pupil was enrolled during the range or got marks in it (a
transfer mid-year gives two). Diary marks fall in the range; period marks belong to study
periods overlapping it; annual and final marks to the school years it touches. Five indexed
queries whatever the number of marks (a sixth for marks of an organization without enrolment).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from db.classifiers import CONTROL_FORM, MARK_VALUE, STUDY_PERIOD_KIND, item_of
from db.dates import school_year_of
from db.models import BaseSubject, ClassGroup, DiaryMark, Enrolment, LocalSubject, OrgUnit, PeriodMark, StudyPeriod
from kontingent_ws.usecases.epgu_model import (
    ClassInfo,
    DiaryMarkInfo,
    EducationPerformance,
    Mark,
    OrganizationInfo,
    PeriodMarkInfo,
    StudyPeriodInfo,
    SubjectPerformance,
    YearMarkInfo,
)


def mark_of(scale: str, value: str, numeric: Decimal | float | None) -> Mark:
    """A mark with its display text from the ``mark_value`` classifier (the raw value otherwise)."""
    item = item_of(MARK_VALUE, value)
    text = item.name if item is not None and item.parent == scale else value
    return Mark(scale=scale, value=value, numeric=None if numeric is None else Decimal(numeric), text=text)


# The statements are built once: Core selects of the columns used, with bound parameters (ORM
# entities and per-call statement building cost more CPU than PostgreSQL spends answering them).
_enrolment, _diary, _period_mark = Enrolment.__table__, DiaryMark.__table__, PeriodMark.__table__
_study_period, _unit, _local = StudyPeriod.__table__, OrgUnit.__table__, LocalSubject.__table__
_base, _class = BaseSubject.__table__, ClassGroup.__table__

ENROLMENTS = (
    select(
        _enrolment.c.organization_id, _enrolment.c.class_group_id, _class.c.name.label("class_name"),
        _class.c.grade.label("class_grade"), _class.c.school_year.label("class_year"), _unit.c.full_name,
        _unit.c.short_name, _unit.c.inn, _unit.c.ogrn,
    )
    .select_from(
        _enrolment.outerjoin(_class, _class.c.id == _enrolment.c.class_group_id).outerjoin(
            _unit, _unit.c.id == _enrolment.c.organization_id
        )
    )
    .where(
        _enrolment.c.student_id == bindparam("student_id"),
        _enrolment.c.entry_date <= bindparam("date_to"),
        or_(_enrolment.c.exit_date.is_(None), _enrolment.c.exit_date >= bindparam("date_from")),
    )
    .order_by(_enrolment.c.entry_date, _enrolment.c.id)
)  # fmt: skip
DIARY = (
    select(
        _diary.c.organization_id, _diary.c.subject_id, _diary.c.mark_date, _diary.c.scale_code, _diary.c.raw_value,
        _diary.c.numeric_value, _diary.c.weight, _diary.c.control_form_code, _diary.c.comment,
    )
    .where(
        _diary.c.student_id == bindparam("student_id"),
        _diary.c.mark_date.between(bindparam("date_from"), bindparam("date_to")),
    )
    .order_by(_diary.c.mark_date, _diary.c.id)
)  # fmt: skip
PERIOD_MARKS = (
    select(
        _period_mark.c.organization_id, _period_mark.c.subject_id, _period_mark.c.school_year, _period_mark.c.kind,
        _period_mark.c.scale_code, _period_mark.c.raw_value, _period_mark.c.numeric_value,
        _study_period.c.id.label("period_id"), _study_period.c.kind_code.label("period_kind"),
        _study_period.c.number.label("period_number"),
    )
    .select_from(_period_mark.outerjoin(_study_period, _study_period.c.id == _period_mark.c.study_period_id))
    .where(
        _period_mark.c.student_id == bindparam("student_id"),
        _period_mark.c.school_year.in_(bindparam("years", expanding=True)),
        or_(
            _period_mark.c.kind != "period",
            (_study_period.c.start_date <= bindparam("date_to")) & (_study_period.c.end_date >= bindparam("date_from")),
        ),
    )
    .order_by(_period_mark.c.school_year, _study_period.c.number, _period_mark.c.id)
)  # fmt: skip
ORGANIZATIONS = select(_unit.c.id, _unit.c.full_name, _unit.c.short_name, _unit.c.inn, _unit.c.ogrn).where(
    _unit.c.id.in_(bindparam("ids", expanding=True))
)
SUBJECTS = (
    select(
        _local.c.id, _local.c.organization_id, _local.c.name, _base.c.code.label("base_code"),
        _base.c.name.label("base_name"),
    )
    .select_from(_local.outerjoin(_base, _base.c.id == _local.c.base_subject_id))
    .where(_local.c.id.in_(bindparam("ids", expanding=True)))
)  # fmt: skip
"""The subjects of the marks, looked up by id (joined to the marks, the planner over-estimates the
pupil's marks and hashes the whole subject table: 15 ms instead of 0.1 ms at 1M)."""
STUDY_PERIODS = (
    select(
        _study_period.c.organization_id, _study_period.c.school_year, _study_period.c.kind_code,
        _study_period.c.number, _study_period.c.start_date, _study_period.c.end_date,
    )
    .where(
        _study_period.c.organization_id.in_(bindparam("ids", expanding=True)),
        _study_period.c.start_date <= bindparam("date_to"),
        _study_period.c.end_date >= bindparam("date_from"),
    )
    .order_by(_study_period.c.start_date, _study_period.c.number)
)  # fmt: skip


def load_educations(
    session: Session, student_id: int, date_from: dt.date, date_to: dt.date
) -> tuple[EducationPerformance, ...]:
    """The pupil's performance per organization within ``[date_from, date_to]``, in order of enrolment."""
    years = list(range(school_year_of(date_from), school_year_of(date_to) + 1))
    span = {"student_id": student_id, "date_from": date_from, "date_to": date_to}
    enrolments = session.execute(ENROLMENTS, span).all()
    diary = session.execute(DIARY, span).all()
    period_marks = session.execute(PERIOD_MARKS, {**span, "years": years}).all()
    org_ids = list(
        dict.fromkeys(
            [e.organization_id for e in enrolments]
            + [m.organization_id for m in diary]
            + [pm.organization_id for pm in period_marks]
        )
    )
    if not org_ids:
        return ()
    organizations = {
        e.organization_id: OrganizationInfo(
            id=e.organization_id, full_name=e.full_name, short_name=e.short_name, inn=e.inn, ogrn=e.ogrn
        )
        for e in enrolments
    }
    missing = [org_id for org_id in org_ids if org_id not in organizations]  # marks without an enrolment
    if missing:
        for o in session.execute(ORGANIZATIONS, {"ids": missing}):
            organizations[o.id] = OrganizationInfo(
                id=o.id, full_name=o.full_name, short_name=o.short_name, inn=o.inn, ogrn=o.ogrn
            )
    subject_ids = list({m.subject_id for m in diary} | {pm.subject_id for pm in period_marks})
    subjects = {
        s.id: _Subject(id=s.id, organization_id=s.organization_id, name=s.name, base_code=s.base_code,
                       base_name=s.base_name)
        for s in (session.execute(SUBJECTS, {"ids": subject_ids}) if subject_ids else ())
    }  # fmt: skip
    classes = {
        e.class_group_id: ClassInfo(name=e.class_name, grade=e.class_grade, school_year=e.class_year)
        for e in enrolments
        if e.class_group_id is not None
    }
    periods = _study_periods(session, org_ids, date_from, date_to)

    diary_by_subject: dict[int, list[DiaryMarkInfo]] = defaultdict(list)
    for m in diary:
        form = item_of(CONTROL_FORM, m.control_form_code) if m.control_form_code else None
        diary_by_subject[m.subject_id].append(
            DiaryMarkInfo(
                date=m.mark_date,
                mark=mark_of(m.scale_code, m.raw_value, m.numeric_value),
                weight=m.weight,
                control_form_code=m.control_form_code,
                control_form_name=form.name if form else None,
                comment=m.comment,
            )
        )
    period_by_subject: dict[int, list[PeriodMarkInfo]] = defaultdict(list)
    annual_by_subject: dict[int, list[YearMarkInfo]] = defaultdict(list)
    final_by_subject: dict[int, list[YearMarkInfo]] = defaultdict(list)
    for pm in period_marks:
        mark = mark_of(pm.scale_code, pm.raw_value, pm.numeric_value)
        if pm.kind == "period" and pm.period_id is not None:
            period_by_subject[pm.subject_id].append(
                PeriodMarkInfo(
                    school_year=pm.school_year, period_kind=pm.period_kind, period_number=pm.period_number, mark=mark
                )
            )
        elif pm.kind == "annual":
            annual_by_subject[pm.subject_id].append(YearMarkInfo(school_year=pm.school_year, mark=mark))
        elif pm.kind == "final":
            final_by_subject[pm.subject_id].append(YearMarkInfo(school_year=pm.school_year, mark=mark))

    educations = []
    for org_id in org_ids:
        org = organizations[org_id]
        org_subjects = sorted((s for s in subjects.values() if s.organization_id == org_id), key=_subject_order)
        last_class = next(
            (
                classes[e.class_group_id]
                for e in reversed(enrolments)
                if e.organization_id == org_id and e.class_group_id in classes
            ),
            None,
        )
        educations.append(
            EducationPerformance(
                organization=org,
                class_info=last_class,
                study_periods=tuple(periods.get(org_id, ())),
                subjects=tuple(
                    SubjectPerformance(
                        name=local.name,
                        base_subject_code=local.base_code,
                        base_subject_name=local.base_name,
                        diary_marks=tuple(diary_by_subject[local.id]),
                        period_marks=tuple(period_by_subject[local.id]),
                        annual_marks=tuple(annual_by_subject[local.id]),
                        final_marks=tuple(final_by_subject[local.id]),
                    )
                    for local in org_subjects
                ),
            )
        )
    return tuple(educations)


@dataclass(frozen=True, kw_only=True)
class _Subject:
    id: int
    organization_id: int
    name: str
    base_code: str | None
    base_name: str | None


def _subject_order(subject: _Subject) -> tuple[str, int]:
    return subject.name, subject.id


def _study_periods(
    session: Session, org_ids: list[int], date_from: dt.date, date_to: dt.date
) -> dict[int, list[StudyPeriodInfo]]:
    found: dict[int, list[StudyPeriodInfo]] = defaultdict(list)
    for period in session.execute(STUDY_PERIODS, {"ids": org_ids, "date_from": date_from, "date_to": date_to}):
        kind = item_of(STUDY_PERIOD_KIND, period.kind_code)
        found[period.organization_id].append(
            StudyPeriodInfo(
                school_year=period.school_year,
                kind=period.kind_code,
                number=period.number,
                name=f"{period.number} {kind.name.lower() if kind else period.kind_code}",
                start_date=period.start_date,
                end_date=period.end_date,
            )
        )
    return found
