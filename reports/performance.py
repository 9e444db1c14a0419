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

from sqlalchemy import Select, func, or_, select, union_all
from sqlalchemy.orm import Session

from db import classifiers
from db.models import (
    BaseSubject,
    DiaryMarkDaily,
    DiaryMarkMonthly,
    LocalSubject,
    Organization,
    PeriodMarkSummary,
    StudyPeriod,
)
from reports.aggregates import COUNTERS, GRADES, has_marks, month_split, summed_counts
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


SUBJECT_NAME = func.coalesce(BaseSubject.name, LocalSubject.name)
"""A local subject shown by the name of its base subject, or by its own name when not mapped."""


def with_subject_names(query: Select[Any], subject_id: Any) -> Select[Any]:
    """``query`` joined to the local subject ``subject_id`` and its base subject."""
    return query.join(LocalSubject, LocalSubject.id == subject_id).outerjoin(
        BaseSubject, BaseSubject.id == LocalSubject.base_subject_id
    )


def merged(keyed: Iterable[tuple[tuple[Any, ...], Sequence[Any]]]) -> list[tuple[tuple[Any, ...], list[float]]]:
    """Counts of equal keys added up (mark counts and sums are additive), in key order."""
    totals: dict[tuple[Any, ...], list[float]] = {}
    for key, counts in keyed:
        values = [float(value) for value in counts]
        current = totals.setdefault(key, [0.0] * len(values))
        totals[key] = [a + b for a, b in zip(current, values, strict=True)]
    return sorted(totals.items())


def final_performance(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    summary = PeriodMarkSummary
    period_kind, number = func.coalesce(StudyPeriod.kind_code, ""), func.coalesce(StudyPeriod.number, 0)
    group_by = (SUBJECT_NAME, summary.kind, period_kind, number)
    query = (
        with_subject_names(select(*group_by, *summed_counts(summary)).select_from(summary), summary.subject_id)
        .join(Organization, Organization.id == summary.organization_id)
        .outerjoin(StudyPeriod, StudyPeriod.id == summary.period_id)
        .where(
            summary.school_year == int_param(params, "school_year"),
            *organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        )
        .group_by(*group_by)
        .having(has_marks(summary))
    )
    kind = params.get("kind")
    if isinstance(kind, str):
        query = query.where(summary.kind == kind)
    keyed = (
        ((name, MARK_KINDS.index(mark_kind), period_kind, number), counts)
        for name, mark_kind, period_kind, number, *counts in session.execute(query)
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
    """Whole months of the period are read from the monthly summary, its partial months day by day."""
    months, edges = month_split(date_param(params, "date_from"), date_param(params, "date_to"))
    conditions = organization_filter(params, scope_unit_id, SCHOOL_TYPES)
    parts = [
        select(DiaryMarkDaily.subject_id, *(getattr(DiaryMarkDaily, name) for name in COUNTERS))
        .join(Organization, Organization.id == DiaryMarkDaily.organization_id)
        .where(or_(*(DiaryMarkDaily.mark_date.between(first, last) for first, last in edges)), *conditions)
    ] if edges else []
    if months is not None:
        parts.append(
            select(DiaryMarkMonthly.subject_id, *(getattr(DiaryMarkMonthly, name) for name in COUNTERS))
            .join(Organization, Organization.id == DiaryMarkMonthly.organization_id)
            .where(DiaryMarkMonthly.month.between(*months), *conditions)
        )
    counts = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    query = (
        with_subject_names(
            select(SUBJECT_NAME, *(func.sum(counts.c[name]) for name in COUNTERS[1:])), counts.c.subject_id
        )
        .group_by(SUBJECT_NAME)
        .having(func.sum(counts.c.entries) > 0)
    )
    keyed = (((name,), counts) for name, *counts in session.execute(query))
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
