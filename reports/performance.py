"""Performance (успеваемость): mark counts added up in SQL, averages and shares derived in Python.

The base of the shares is every mark on the five-point scale plus every «н/а»; pass/fail and
exemption marks are left out. The average is over the five-point marks, computed from the counts
of each grade. The counts come from the mark summaries kept by triggers (``reports.aggregates``):
a region-wide report adds up some thousands of rows per organization instead of tens of
millions of marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import classifiers
from db.models import BaseSubject, DiaryMarkDaily, LocalSubject, Organization, PeriodMarkSummary, StudyPeriod
from reports.aggregates import GRADES, has_marks, summed_counts
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
from reports.query import SCHOOL_TYPES, name_or_code, organization_filter

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


def performance_cells(counts: Sequence[Any]) -> tuple[Cell, ...]:
    """``PERFORMANCE_COLUMNS`` values from counted marks, the count per grade (5 … 1) and «н/а»."""
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
    group_by = (PeriodMarkSummary.subject_id, PeriodMarkSummary.kind, PeriodMarkSummary.period_id)
    query = (
        select(*group_by, *summed_counts(PeriodMarkSummary))
        .select_from(PeriodMarkSummary)
        .join(Organization, Organization.id == PeriodMarkSummary.organization_id)
        .where(
            PeriodMarkSummary.school_year == int_param(params, "school_year"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(*group_by)
        .having(has_marks(PeriodMarkSummary))
    )
    kind = params.get("kind")
    if isinstance(kind, str):
        query = query.where(PeriodMarkSummary.kind == kind)
    found = session.execute(query).all()
    names = subject_names(session, (row[0] for row in found))
    period_ids = {row[2] for row in found if row[2]}
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
        select(DiaryMarkDaily.subject_id, *summed_counts(DiaryMarkDaily))
        .select_from(DiaryMarkDaily)
        .join(Organization, Organization.id == DiaryMarkDaily.organization_id)
        .where(
            DiaryMarkDaily.mark_date >= date_param(params, "date_from"),
            DiaryMarkDaily.mark_date <= date_param(params, "date_to"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(DiaryMarkDaily.subject_id)
        .having(has_marks(DiaryMarkDaily))
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
