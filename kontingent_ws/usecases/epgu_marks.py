"""The pupil's electronic diary over a date range, grouped by organization and subject.

Organizations are those where the pupil was enrolled during the range or got marks in it (a
transfer mid-year gives two). Diary marks fall in the range; period marks belong to study
periods overlapping it; annual and final marks to the school years it touches. Five indexed
queries whatever the number of marks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.classifiers import CONTROL_FORM, MARK_VALUE, STUDY_PERIOD_KIND, item_of
from db.dates import school_year_of
from db.models import BaseSubject, ClassGroup, DiaryMark, Enrolment, LocalSubject, Organization, PeriodMark, StudyPeriod
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


def load_educations(
    session: Session, student_id: int, date_from: dt.date, date_to: dt.date
) -> tuple[EducationPerformance, ...]:
    """The pupil's performance per organization within ``[date_from, date_to]``, in order of enrolment."""
    years = range(school_year_of(date_from), school_year_of(date_to) + 1)
    enrolments = list(
        session.scalars(
            select(Enrolment)
            .where(
                Enrolment.student_id == student_id,
                Enrolment.entry_date <= date_to,
                or_(Enrolment.exit_date.is_(None), Enrolment.exit_date >= date_from),
            )
            .order_by(Enrolment.entry_date, Enrolment.id)
        )
    )
    diary = list(
        session.scalars(
            select(DiaryMark)
            .where(DiaryMark.student_id == student_id, DiaryMark.mark_date.between(date_from, date_to))
            .order_by(DiaryMark.mark_date, DiaryMark.id)
        )
    )
    period_rows = session.execute(
        select(PeriodMark, StudyPeriod)
        .outerjoin(StudyPeriod, StudyPeriod.id == PeriodMark.study_period_id)
        .where(
            PeriodMark.student_id == student_id,
            PeriodMark.school_year.in_(list(years)),
            or_(
                PeriodMark.kind != "period",
                (StudyPeriod.start_date <= date_to) & (StudyPeriod.end_date >= date_from),
            ),
        )
        .order_by(PeriodMark.school_year, StudyPeriod.number, PeriodMark.id)
    ).tuples()
    period_marks = list(period_rows)
    org_ids = list(
        dict.fromkeys(
            [e.organization_id for e in enrolments]
            + [m.organization_id for m in diary]
            + [pm.organization_id for pm, _ in period_marks]
        )
    )
    if not org_ids:
        return ()
    organizations = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    subject_ids = {m.subject_id for m in diary} | {pm.subject_id for pm, _ in period_marks}
    subjects = _subjects(session, subject_ids)
    classes = _classes(session, {e.class_group_id for e in enrolments if e.class_group_id is not None})
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
    for pm, sp in period_marks:
        mark = mark_of(pm.scale_code, pm.raw_value, pm.numeric_value)
        if pm.kind == "period" and sp is not None:
            period_by_subject[pm.subject_id].append(
                PeriodMarkInfo(school_year=pm.school_year, period_kind=sp.kind_code, period_number=sp.number, mark=mark)
            )
        elif pm.kind == "annual":
            annual_by_subject[pm.subject_id].append(YearMarkInfo(school_year=pm.school_year, mark=mark))
        elif pm.kind == "final":
            final_by_subject[pm.subject_id].append(YearMarkInfo(school_year=pm.school_year, mark=mark))

    educations = []
    for org_id in org_ids:
        org = organizations[org_id]
        org_subjects = sorted((s for s in subjects.values() if s[0].organization_id == org_id), key=_subject_order)
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
                organization=OrganizationInfo(
                    id=org.id, full_name=org.full_name, short_name=org.short_name, inn=org.inn, ogrn=org.ogrn
                ),
                class_info=last_class,
                study_periods=tuple(periods.get(org_id, ())),
                subjects=tuple(
                    SubjectPerformance(
                        name=local.name,
                        base_subject_code=base.code if base else None,
                        base_subject_name=base.name if base else None,
                        diary_marks=tuple(diary_by_subject[local.id]),
                        period_marks=tuple(period_by_subject[local.id]),
                        annual_marks=tuple(annual_by_subject[local.id]),
                        final_marks=tuple(final_by_subject[local.id]),
                    )
                    for local, base in org_subjects
                ),
            )
        )
    return tuple(educations)


def _subject_order(pair: tuple[LocalSubject, BaseSubject | None]) -> tuple[str, int]:
    return pair[0].name, pair[0].id


def _subjects(session: Session, ids: Iterable[int]) -> dict[int, tuple[LocalSubject, BaseSubject | None]]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(LocalSubject, BaseSubject)
        .outerjoin(BaseSubject, BaseSubject.id == LocalSubject.base_subject_id)
        .where(LocalSubject.id.in_(wanted))
    ).tuples()
    return {local.id: (local, base) for local, base in rows}


def _classes(session: Session, ids: set[int]) -> dict[int, ClassInfo]:
    if not ids:
        return {}
    return {
        c.id: ClassInfo(name=c.name, grade=c.grade, school_year=c.school_year)
        for c in session.scalars(select(ClassGroup).where(ClassGroup.id.in_(ids)))
    }


def _study_periods(
    session: Session, org_ids: list[int], date_from: dt.date, date_to: dt.date
) -> dict[int, list[StudyPeriodInfo]]:
    found: dict[int, list[StudyPeriodInfo]] = defaultdict(list)
    rows = session.scalars(
        select(StudyPeriod)
        .where(
            StudyPeriod.organization_id.in_(org_ids),
            StudyPeriod.start_date <= date_to,
            StudyPeriod.end_date >= date_from,
        )
        .order_by(StudyPeriod.start_date, StudyPeriod.number)
    )
    for period in rows:
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
