"""SQL building blocks shared by the report families; portable across SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Date, Integer, case, cast, extract, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from db import classifiers
from db.hierarchy import subtree_ids
from db.models import Municipality, Organization
from reports.params import ParamValue

SCHOOL_TYPES = ("12", "13")
"""Organization types of general education (ОО): general and adapted-only schools."""
PRESCHOOL_TYPE = "11"
NOT_SPECIFIED = "Не указано"

Groupable = ColumnElement[Any] | InstrumentedAttribute[Any]
"""Anything a query can select and group by: an expression or a mapped attribute."""


def within_unit(column: Any, unit_id: int | None) -> list[ColumnElement[bool]]:
    """``column`` (an org unit id) restricted to ``unit_id`` and everything below it; no-op for None."""
    return [] if unit_id is None else [column.in_(subtree_ids(unit_id))]


def organization_filter(
    params: Mapping[str, ParamValue],
    scope_unit_id: int | None,
    default_types: tuple[str, ...] = (),
) -> list[ColumnElement[bool]]:
    """Conditions on ``Organization``: the caller's scope, the territory and the type parameters."""
    conditions = within_unit(Organization.id, scope_unit_id)
    unit_id = params.get("unit_id")
    if isinstance(unit_id, int):
        conditions += within_unit(Organization.id, unit_id)
    municipality_id = params.get("municipality_id")
    if isinstance(municipality_id, int):
        conditions.append(Organization.municipality_id.in_(municipality_and_districts(municipality_id)))
    org_type = params.get("org_type")
    if isinstance(org_type, str):
        conditions.append(Organization.type_code == org_type)
    elif default_types:
        conditions.append(Organization.type_code.in_(default_types))
    return conditions


def municipality_and_districts(municipality_id: int) -> Any:
    """A sub-select of a municipality and its intra-city districts."""
    return select(Municipality.id).where(
        or_(Municipality.id == municipality_id, Municipality.parent_id == municipality_id)
    )


def full_years(birth_date: Groupable, on_date: dt.date) -> ColumnElement[int]:
    """Age in full years on ``on_date`` (never "today"), from year/month/day parts: portable SQL."""
    birth_day = extract("month", birth_date) * 100 + extract("day", birth_date)
    before_birthday = case((birth_day > on_date.month * 100 + on_date.day, 1), else_=0)
    return cast(on_date.year - extract("year", birth_date) - before_birthday, Integer)


def capped(expression: ColumnElement[int], top: int) -> ColumnElement[int]:
    """``expression`` with every value from ``top`` up folded into ``top`` (an "N and older" bucket)."""
    return case((expression >= top, top), else_=expression)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def name_or_code(classifier: str, code: str | None) -> str:
    """The Russian name of a classifier code, the bare code when unknown, «Не указано» for none."""
    if code is None or code == "":
        return NOT_SPECIFIED
    item = classifiers.item_of(classifier, code)
    return item.name if item else code


def age_label(years: int, top: int | None = None) -> str:
    """«до 1 года», «1 год», «2 года», «5 лет», «7 лет и старше»."""
    if years <= 0:
        return "до 1 года"
    if top is not None and years >= top:
        return f"{years} лет и старше"
    tail, teen = years % 10, 11 <= years % 100 <= 14
    word = "год" if tail == 1 and not teen else "года" if 2 <= tail <= 4 and not teen else "лет"
    return f"{years} {word}"


class day_of(FunctionElement[dt.date]):
    """The calendar day (UTC) of a timestamp."""

    type = Date()
    inherit_cache = True


class week_of(FunctionElement[dt.date]):
    """The Monday of the ISO week (UTC) of a timestamp."""

    type = Date()
    inherit_cache = True


@compiles(day_of)
def _day_of_default(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(week_of)
def _week_of_default(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(date_trunc('week', timezone('UTC', {compiler.process(element.clauses, **kw)})) AS DATE)"


@compiles(week_of, "sqlite")
def _week_of_sqlite(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"
