"""Performance (успеваемость): marks counted per group in SQL, averages and shares derived in Python.

The base of the shares is every mark on the five-point scale plus every «н/а»; pass/fail and
exemption marks are left out. The average is over the five-point marks, computed from the counts
of each grade (no sum over the numeric column: counting is cheaper on tens of millions of marks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
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
GRADES = ("5", "4", "3", "2", "1")

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


def mark_counts(scale: Any, raw_value: Any) -> tuple[ColumnElement[Any], ...]:
    """Aggregates: counted marks, then one count per five-point grade (5 … 1), then «н/а»."""
    five_point = scale == FIVE_POINT
    return (
        count_if(scale.in_((FIVE_POINT, NOT_ATTESTED))),
        *(count_if(five_point & (raw_value == grade)) for grade in GRADES),
        count_if(scale == NOT_ATTESTED),
    )


def performance_cells(counts: Sequence[Any]) -> tuple[Cell, ...]:
    """``PERFORMANCE_COLUMNS`` values from the aggregates of ``mark_counts``."""
    total, *grades, not_attested = (float(value) for value in counts)
    graded = sum(grades)
    points = sum(int(grade) * count for grade, count in zip(GRADES, grades, strict=True))
    average = round(points / graded, 2) if graded else None
    shares = tuple(percent(count, total) for count in (*grades[:4], not_attested))
    quality = percent(grades[0] + grades[1], total)
    return (int(total), average, *shares, quality)


def performance_rows(keyed: Iterable[tuple[tuple[Cell, ...], Sequence[Any]]]) -> list[Row]:
    return [(*key, *performance_cells(counts)) for key, counts in keyed]


def subject_names(session: Session, subject_ids: Iterable[int]) -> dict[int, str]:
    """Local subject id → the base subject's name, or the local name when it is not mapped."""
    ids = sorted(set(subject_ids))
    query = (
        select(LocalSubject.id, func.coalesce(BaseSubject.name, LocalSubject.name))
        .outerjoin(BaseSubject, BaseSubject.id == LocalSubject.base_subject_id)
        .where(LocalSubject.id.in_(ids))
    )
    return dict(session.execute(query).tuples().all())


def merged(keyed: Iterable[tuple[tuple[Any, ...], Sequence[Any]]]) -> list[tuple[tuple[Any, ...], list[float]]]:
    """Counts of equal keys added up (mark counts and sums are additive), in key order."""
    totals: dict[tuple[Any, ...], list[float]] = {}
    for key, counts in keyed:
        values = [float(value) for value in counts]
        current = totals.setdefault(key, [0.0] * len(values))
        totals[key] = [a + b for a, b in zip(current, values, strict=True)]
    return sorted(totals.items())


def final_performance(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    # Grouping by integer ids keeps the aggregation a hash over small keys; names are joined afterwards.
    group_by = (PeriodMark.subject_id, PeriodMark.kind, PeriodMark.study_period_id)
    query = (
        select(*group_by, *mark_counts(PeriodMark.scale_code, PeriodMark.raw_value))
        .select_from(PeriodMark)
        .join(Organization, Organization.id == PeriodMark.organization_id)
        .where(
            PeriodMark.school_year == int_param(params, "school_year"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(*group_by)
    )
    kind = params.get("kind")
    if isinstance(kind, str):
        query = query.where(PeriodMark.kind == kind)
    found = session.execute(query).all()
    names = subject_names(session, (row[0] for row in found))
    period_ids = {row[2] for row in found if row[2] is not None}
    periods = {
        period_id: (period_kind, number)
        for period_id, period_kind, number in session.execute(
            select(StudyPeriod.id, StudyPeriod.kind_code, StudyPeriod.number).where(StudyPeriod.id.in_(period_ids))
        )
    }
    keyed = (
        ((names[subject_id], MARK_KINDS.index(mark_kind), *periods.get(period_id, ("", 0))), counts)
        for subject_id, mark_kind, period_id, *counts in found
    )
    return performance_rows(
        ((name, period_label(MARK_KINDS[kind_index], period_kind, number)), counts)
        for (name, kind_index, period_kind, number), counts in merged(keyed)
    )


def period_label(kind: str, period_kind: str | None, number: int | None) -> str:
    """«Четверть 2», «Годовая отметка», «Итоговая отметка»."""
    if kind == "period":
        return f"{name_or_code(classifiers.STUDY_PERIOD_KIND, period_kind)} {number}"
    return name_or_code(classifiers.PERIOD_MARK_KIND, kind)


def current_performance(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    query = (
        select(DiaryMark.subject_id, *mark_counts(DiaryMark.scale_code, DiaryMark.raw_value))
        .select_from(DiaryMark)
        .join(Organization, Organization.id == DiaryMark.organization_id)
        .where(
            DiaryMark.mark_date >= date_param(params, "date_from"),
            DiaryMark.mark_date <= date_param(params, "date_to"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(DiaryMark.subject_id)
    )
    found = session.execute(query).all()
    names = subject_names(session, (row[0] for row in found))
    keyed = (((names[subject_id],), counts) for subject_id, *counts in found)
    return performance_rows(merged(keyed))


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
