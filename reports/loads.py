"""Dynamics of data loads from external systems, per day or week and per provider.

A load belongs to a unit's scope through the organization it wrote to; loads without an
organization are seen only region-wide. Days and weeks are UTC calendar days (weeks from Monday).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import InfoSystem, LoadJournal
from reports.definition import ChartSpec, Column, ReportDefinition, Row
from reports.params import DATE_FROM, DATE_TO, UNIT, ParamSpec, ParamValue, date_param
from reports.query import count_if, day_of, week_of, within_unit

MANUAL = "Загрузка вручную (шаблоны Excel)"
GRANULARITY = ParamSpec(
    name="granularity", label="Шаг (day – день, week – неделя)", type="str", default="day", choices=("day", "week")
)
PROVIDER = ParamSpec(name="system_id", label="Поставщик данных (идентификатор системы)", type="int")


def _journal_filter(params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[ColumnElement[bool]]:
    start = dt.datetime.combine(date_param(params, "date_from"), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(date_param(params, "date_to") + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    conditions = [LoadJournal.started_at >= start, LoadJournal.started_at < end]
    conditions += within_unit(LoadJournal.organization_id, scope_unit_id)
    unit_id = params.get("unit_id")
    if isinstance(unit_id, int):
        conditions += within_unit(LoadJournal.organization_id, unit_id)
    system_id = params.get("system_id")
    if isinstance(system_id, int):
        conditions.append(LoadJournal.system_id == system_id)
    return conditions


def _load_counts() -> tuple[ColumnElement[Any], ...]:
    return (
        func.count(LoadJournal.id),
        func.coalesce(func.sum(LoadJournal.rows_total), 0),
        func.coalesce(func.sum(LoadJournal.rows_applied), 0),
        func.coalesce(func.sum(LoadJournal.rows_rejected), 0),
        count_if(LoadJournal.status == "success"),
        count_if(LoadJournal.status == "partial"),
        count_if(LoadJournal.status == "error"),
    )


def dynamics(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    bucket = week_of(LoadJournal.started_at) if params.get("granularity") == "week" else day_of(LoadJournal.started_at)
    query = (
        select(bucket, *_load_counts()).where(*_journal_filter(params, scope_unit_id)).group_by(bucket).order_by(bucket)
    )
    return [(_day(period), *(int(value) for value in counts)) for period, *counts in session.execute(query)]


def _day(value: dt.date | str) -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return day.strftime("%d.%m.%Y")


def by_provider(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    query = (
        select(InfoSystem.name, *_load_counts())
        .select_from(LoadJournal)
        .outerjoin(InfoSystem, InfoSystem.id == LoadJournal.system_id)
        .where(*_journal_filter(params, scope_unit_id))
        .group_by(InfoSystem.id, InfoSystem.name)
    )
    rows = [(name or MANUAL, *(int(value) for value in counts)) for name, *counts in session.execute(query)]
    return sorted(rows, key=lambda row: str(row[0]))


LOAD_COLUMNS = (
    Column(key="loads", heading="Загрузок", total=True),
    Column(key="rows_total", heading="Строк получено", total=True),
    Column(key="rows_applied", heading="Строк принято", total=True),
    Column(key="rows_rejected", heading="Строк отклонено", total=True),
    Column(key="success", heading="Успешно", total=True),
    Column(key="partial", heading="Частично", total=True),
    Column(key="error", heading="С ошибкой", total=True),
)

DYNAMICS = ReportDefinition(
    code="STAT_LOAD_DYNAMICS",
    title="Динамика загрузки данных из внешних систем",
    family="statistics",
    params=(DATE_FROM, DATE_TO, GRANULARITY, PROVIDER, UNIT),
    columns=(Column(key="period", heading="Период (начало)", type="str"), *LOAD_COLUMNS),
    query=dynamics,
    chart=ChartSpec(kind="line", x="period", y=("success", "partial", "error")),
)

BY_PROVIDER = ReportDefinition(
    code="STAT_LOAD_BY_PROVIDER",
    title="Загрузка данных по поставщикам",
    family="statistics",
    params=(DATE_FROM, DATE_TO, UNIT),
    columns=(Column(key="provider", heading="Поставщик данных", type="str"), *LOAD_COLUMNS),
    query=by_provider,
    chart=ChartSpec(kind="stacked-bar", x="provider", y=("success", "partial", "error")),
)

REPORTS = (DYNAMICS, BY_PROVIDER)
