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

from sqlalchemy import ColumnElement, Connection, FromClause, Integer, bindparam, literal_column, or_, select, true

from db.classifiers import CONTROL_FORM, MARK_VALUE, STUDY_PERIOD_KIND, item_of
from db.dates import school_year_of
from db.models import BaseSubject, ClassGroup, DiaryMark, Enrolment, LocalSubject, OrgUnit, PeriodMark, StudyPeriod
from db.prepared import PreparedQuery
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

ENROLMENTS = PreparedQuery(
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
    .order_by(_enrolment.c.entry_date, _enrolment.c.id),
    name="epgu_enrolments",
)  # fmt: skip
DIARY = PreparedQuery(
    select(
        _diary.c.organization_id, _diary.c.subject_id, _diary.c.mark_date, _diary.c.scale_code, _diary.c.raw_value,
        _diary.c.numeric_value, _diary.c.weight, _diary.c.control_form_code, _diary.c.comment,
    )
    .where(
        _diary.c.student_id == bindparam("student_id"),
        _diary.c.mark_date.between(bindparam("date_from"), bindparam("date_to")),
    )
    .order_by(_diary.c.mark_date, _diary.c.id),
    name="epgu_diary",
)  # fmt: skip


def _period_marks(periods: FromClause, join_on: ColumnElement[bool], *, name: str) -> PreparedQuery:
    """The pupil's period, annual and final marks of the school years, with the study period of each
    period mark (``periods``: the study periods, joined ``join_on``) overlapping the range."""
    return PreparedQuery(
        select(
            _period_mark.c.organization_id, _period_mark.c.subject_id, _period_mark.c.school_year,
            _period_mark.c.kind, _period_mark.c.scale_code, _period_mark.c.raw_value, _period_mark.c.numeric_value,
            periods.c.id.label("period_id"), periods.c.kind_code.label("period_kind"),
            periods.c.number.label("period_number"),
        )
        .select_from(_period_mark.outerjoin(periods, join_on))
        .where(
            _period_mark.c.student_id == bindparam("student_id"),
            _period_mark.c.school_year.in_(bindparam("years", expanding=True)),
            or_(
                _period_mark.c.kind != "period",
                (periods.c.start_date <= bindparam("date_to")) & (periods.c.end_date >= bindparam("date_from")),
            ),
        )
        .order_by(_period_mark.c.school_year, periods.c.number, _period_mark.c.subject_id, _period_mark.c.kind),
        name=name,
    )  # fmt: skip


PERIOD_MARKS = _period_marks(
    _study_period, _study_period.c.id == _period_mark.c.study_period_id, name="epgu_period_marks"
)
"""Any database: the marks joined to their study periods."""
_PERIOD_OF_MARK = (
    select(
        _study_period.c.id, _study_period.c.kind_code, _study_period.c.number, _study_period.c.start_date,
        _study_period.c.end_date,
    )
    .where(_study_period.c.id == _period_mark.c.study_period_id)
    .offset(literal_column("0", Integer))
    .lateral("period_of_mark")
)  # fmt: skip
PERIOD_MARKS_LATERAL = _period_marks(_PERIOD_OF_MARK, true(), name="epgu_period_marks_lateral")
"""PostgreSQL: each mark's study period looked up by its key (``LATERAL … OFFSET 0``, which the
planner does not flatten into a join). Joined, PostgreSQL reads and hashes every study period of
the region for each call (it estimates a pupil's marks at ten times their number; ≈ 1 ms at 1M)."""
ORGANIZATIONS = PreparedQuery(
    select(_unit.c.id, _unit.c.full_name, _unit.c.short_name, _unit.c.inn, _unit.c.ogrn).where(
        _unit.c.id.in_(bindparam("ids", expanding=True))
    ),
    name="epgu_organizations",
)
SUBJECTS = PreparedQuery(
    select(
        _local.c.id, _local.c.organization_id, _local.c.name, _base.c.code.label("base_code"),
        _base.c.name.label("base_name"),
    )
    .select_from(_local.outerjoin(_base, _base.c.id == _local.c.base_subject_id))
    .where(_local.c.id.in_(bindparam("ids", expanding=True))),
    name="epgu_subjects",
)  # fmt: skip
"""The subjects of the marks, looked up by id (joined to the marks, the planner over-estimates the
pupil's marks and hashes the whole subject table: 15 ms instead of 0.1 ms at 1M)."""
STUDY_PERIODS = PreparedQuery(
    select(
        _study_period.c.organization_id, _study_period.c.school_year, _study_period.c.kind_code,
        _study_period.c.number, _study_period.c.start_date, _study_period.c.end_date,
    )
    .where(
        _study_period.c.organization_id.in_(bindparam("ids", expanding=True)),
        _study_period.c.start_date <= bindparam("date_to"),
        _study_period.c.end_date >= bindparam("date_from"),
    )
    .order_by(_study_period.c.start_date, _study_period.c.number),
    name="epgu_study_periods",
)  # fmt: skip


def load_educations(
    connection: Connection, student_id: int, date_from: dt.date, date_to: dt.date
) -> tuple[EducationPerformance, ...]:
    """The pupil's performance per organization within ``[date_from, date_to]``, in order of enrolment."""
    years = list(range(school_year_of(date_from), school_year_of(date_to) + 1))
    span = {"student_id": student_id, "date_from": date_from, "date_to": date_to}
    # Rows are read by position: tuples on PostgreSQL (prepared), rows elsewhere, in the order selected.
    enrolments = ENROLMENTS.rows(connection, span)
    diary = DIARY.rows(connection, span)
    marks_of_years = PERIOD_MARKS_LATERAL if connection.dialect.name == "postgresql" else PERIOD_MARKS
    period_marks = marks_of_years.rows(connection, {**span, "years": years})
    org_ids = list(dict.fromkeys([e[0] for e in enrolments] + [m[0] for m in diary] + [pm[0] for pm in period_marks]))
    if not org_ids:
        return ()
    organizations = {
        org_id: OrganizationInfo(id=org_id, full_name=full_name, short_name=short_name, inn=inn, ogrn=ogrn)
        for org_id, _, _, _, _, full_name, short_name, inn, ogrn in enrolments
    }
    missing = [org_id for org_id in org_ids if org_id not in organizations]  # marks without an enrolment
    if missing:
        for org_id, full_name, short_name, inn, ogrn in ORGANIZATIONS.rows(connection, {"ids": missing}):
            organizations[org_id] = OrganizationInfo(
                id=org_id, full_name=full_name, short_name=short_name, inn=inn, ogrn=ogrn
            )
    subject_ids = list({m[1] for m in diary} | {pm[1] for pm in period_marks})
    subjects = [
        _Subject(id=id_, organization_id=org_id, name=name, base_code=base_code, base_name=base_name)
        for id_, org_id, name, base_code, base_name in (
            SUBJECTS.rows(connection, {"ids": subject_ids}) if subject_ids else ()
        )
    ]
    classes = {
        class_id: ClassInfo(name=name, grade=grade, school_year=year)
        for _, class_id, name, grade, year, *_ in enrolments
        if class_id is not None
    }
    periods = _study_periods(connection, org_ids, date_from, date_to)

    marks: dict[tuple[str, str, str | None], Mark] = {}
    """The same mark recurs: built once a call (keyed by the number's text: ``5.00`` and ``5`` differ)."""

    def mark(scale: str, value: str, numeric: Decimal | float | None) -> Mark:
        key = (scale, value, None if numeric is None else str(numeric))
        found = marks.get(key)
        if found is None:
            found = marks[key] = mark_of(scale, value, numeric)
        return found

    forms: dict[str, str | None] = {}
    diary_by_subject: dict[int, list[DiaryMarkInfo]] = defaultdict(list)
    for _, subject_id, mark_date, scale, raw, numeric, weight, form_code, comment in diary:
        form_name = None
        if form_code:
            if form_code not in forms:
                form = item_of(CONTROL_FORM, form_code)
                forms[form_code] = form.name if form else None
            form_name = forms[form_code]
        diary_by_subject[subject_id].append(
            DiaryMarkInfo(
                date=mark_date,
                mark=mark(scale, raw, numeric),
                weight=weight,
                control_form_code=form_code,
                control_form_name=form_name,
                comment=comment,
            )
        )
    period_by_subject: dict[int, list[PeriodMarkInfo]] = defaultdict(list)
    annual_by_subject: dict[int, list[YearMarkInfo]] = defaultdict(list)
    final_by_subject: dict[int, list[YearMarkInfo]] = defaultdict(list)
    for _, subject_id, year, kind, scale, raw, numeric, period_id, period_kind, period_number in period_marks:
        if kind == "period" and period_id is not None:
            period_by_subject[subject_id].append(
                PeriodMarkInfo(
                    school_year=year,
                    period_kind=period_kind,
                    period_number=period_number,
                    mark=mark(scale, raw, numeric),
                )
            )
        elif kind == "annual":
            annual_by_subject[subject_id].append(YearMarkInfo(school_year=year, mark=mark(scale, raw, numeric)))
        elif kind == "final":
            final_by_subject[subject_id].append(YearMarkInfo(school_year=year, mark=mark(scale, raw, numeric)))

    subjects.sort(key=_subject_order)
    educations = []
    for org_id in org_ids:
        last_class = next(
            (classes[e[1]] for e in reversed(enrolments) if e[0] == org_id and e[1] in classes),
            None,
        )
        educations.append(
            EducationPerformance(
                organization=organizations[org_id],
                class_info=last_class,
                study_periods=tuple(periods.get(org_id, ())),
                subjects=tuple(
                    SubjectPerformance(
                        name=local.name,
                        base_subject_code=local.base_code,
                        base_subject_name=local.base_name,
                        diary_marks=tuple(diary_by_subject.get(local.id, ())),
                        period_marks=tuple(period_by_subject.get(local.id, ())),
                        annual_marks=tuple(annual_by_subject.get(local.id, ())),
                        final_marks=tuple(final_by_subject.get(local.id, ())),
                    )
                    for local in subjects
                    if local.organization_id == org_id
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
    connection: Connection, org_ids: list[int], date_from: dt.date, date_to: dt.date
) -> dict[int, list[StudyPeriodInfo]]:
    found: dict[int, list[StudyPeriodInfo]] = defaultdict(list)
    parameters = {"ids": org_ids, "date_from": date_from, "date_to": date_to}
    for org_id, year, kind_code, number, start, end in STUDY_PERIODS.rows(connection, parameters):
        kind = item_of(STUDY_PERIOD_KIND, kind_code)
        found[org_id].append(
            StudyPeriodInfo(
                school_year=year,
                kind=kind_code,
                number=number,
                name=f"{number} {kind.name.lower() if kind else kind_code}",
                start_date=start,
                end_date=end,
            )
        )
    return found
