"""Performance (успеваемость): marks counted per group in SQL, averages and shares derived in Python.

The base of the shares is every mark on the five-point scale plus every «н/а»; pass/fail and
exemption marks are left out. The average is over the five-point marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db import classifiers
from db.models import BaseSubject, DiaryMark, LocalSubject, Organization, PeriodMark, StudyPeriod
from reports.definition import Cell, ChartSpec, Column, ReportDefinition, Row, percent
from reports.params import (
    DATE_FROM,
    DATE_TO,
    ORG_TYPE,
    SCHOOL_YEAR,
    TERRITORY,
    ParamSpec,
    ParamValue,
    date_param,
    int_param,
)
from reports.query import SCHOOL_TYPES, count_if, name_or_code, organization_filter

FIVE_POINT = "five_point"
NOT_ATTESTED = "na"
GRADES = ("5", "4", "3", "2")

PERFORMANCE_COLUMNS = (
    Column(key="marks", heading="Отметок", total=True),
    Column(key="average", heading="Средний балл", type="float"),
    Column(key="share_5", heading="«5», %", type="percent"),
    Column(key="share_4", heading="«4», %", type="percent"),
    Column(key="share_3", heading="«3», %", type="percent"),
    Column(key="share_2", heading="«2», %", type="percent"),
    Column(key="share_na", heading="«н/а», %", type="percent"),
    Column(key="quality", heading="Качество знаний («4» и «5»), %", type="percent"),
)


def mark_counts(scale: Any, raw_value: Any, numeric_value: Any) -> tuple[ColumnElement[Any], ...]:
    """Aggregates: counted marks, five-point marks, their sum, then one count per grade and «н/а»."""
    five_point = scale == FIVE_POINT
    return (
        count_if(scale.in_((FIVE_POINT, NOT_ATTESTED))),
        count_if(five_point & numeric_value.is_not(None)),
        func.coalesce(func.sum(case((five_point, numeric_value), else_=0)), 0),
        *(count_if(five_point & (raw_value == grade)) for grade in GRADES),
        count_if(scale == NOT_ATTESTED),
    )


def performance_cells(counts: Sequence[Any]) -> tuple[Cell, ...]:
    """``PERFORMANCE_COLUMNS`` values from the aggregates of ``mark_counts``."""
    total, numeric, numeric_sum, *grades, not_attested = (float(value) for value in counts)
    average = round(numeric_sum / numeric, 2) if numeric else None
    shares = tuple(percent(count, total) for count in (*grades, not_attested))
    quality = percent(grades[0] + grades[1], total)
    return (int(total), average, *shares, quality)


def performance_rows(keyed: Iterable[tuple[tuple[Cell, ...], Sequence[Any]]]) -> list[Row]:
    return [(*key, *performance_cells(counts)) for key, counts in keyed]


def _subject_name() -> ColumnElement[str]:
    return func.coalesce(BaseSubject.name, LocalSubject.name)


def final_performance(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    subject = _subject_name()
    group_by = (subject, PeriodMark.kind, StudyPeriod.kind_code, StudyPeriod.number)
    query = (
        select(*group_by, *mark_counts(PeriodMark.scale_code, PeriodMark.raw_value, PeriodMark.numeric_value))
        .select_from(PeriodMark)
        .join(Organization, Organization.id == PeriodMark.organization_id)
        .join(LocalSubject, LocalSubject.id == PeriodMark.subject_id)
        .outerjoin(BaseSubject, BaseSubject.id == LocalSubject.base_subject_id)
        .outerjoin(StudyPeriod, StudyPeriod.id == PeriodMark.study_period_id)
        .where(
            PeriodMark.school_year == int_param(params, "school_year"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(*group_by)
    )
    kind = params.get("kind")
    if isinstance(kind, str):
        query = query.where(PeriodMark.kind == kind)
    found = sorted(
        session.execute(query),
        key=lambda row: (row[0], MARK_KINDS.index(row[1]), row[2] or "", row[3] or 0),
    )
    return performance_rows(
        ((name, period_label(kind, period, number)), counts) for name, kind, period, number, *counts in found
    )


def period_label(kind: str, period_kind: str | None, number: int | None) -> str:
    """«Четверть 2», «Годовая отметка», «Итоговая отметка»."""
    if kind == "period":
        return f"{name_or_code(classifiers.STUDY_PERIOD_KIND, period_kind)} {number}"
    return name_or_code(classifiers.PERIOD_MARK_KIND, kind)


def current_performance(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    subject = _subject_name()
    query = (
        select(subject, *mark_counts(DiaryMark.scale_code, DiaryMark.raw_value, DiaryMark.numeric_value))
        .select_from(DiaryMark)
        .join(Organization, Organization.id == DiaryMark.organization_id)
        .join(LocalSubject, LocalSubject.id == DiaryMark.subject_id)
        .outerjoin(BaseSubject, BaseSubject.id == LocalSubject.base_subject_id)
        .where(
            DiaryMark.mark_date >= date_param(params, "date_from"),
            DiaryMark.mark_date <= date_param(params, "date_to"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(subject)
    )
    return performance_rows(((name,), counts) for name, *counts in sorted(session.execute(query)))


MARK_KINDS = ("period", "annual", "final")
MARK_KIND = ParamSpec(name="kind", label="Вид отметок", type="str", choices=MARK_KINDS)

FINAL = ReportDefinition(
    code="OO_PERFORMANCE_FINAL",
    title="Успеваемость по итогам учебных периодов и года",
    family="schools",
    params=(SCHOOL_YEAR, MARK_KIND, *TERRITORY, ORG_TYPE),
    columns=(
        Column(key="subject", heading="Предмет", type="str"),
        Column(key="period", heading="Период", type="str"),
        *PERFORMANCE_COLUMNS,
    ),
    query=final_performance,
)

CURRENT = ReportDefinition(
    code="OO_PERFORMANCE_CURRENT",
    title="Текущая успеваемость",
    family="schools",
    params=(DATE_FROM, DATE_TO, *TERRITORY, ORG_TYPE),
    columns=(Column(key="subject", heading="Предмет", type="str"), *PERFORMANCE_COLUMNS),
    query=current_performance,
    chart=ChartSpec(kind="bar", x="subject", y=("average",)),
)

REPORTS = (CURRENT, FINAL)
