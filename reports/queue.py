"""The kindergarten queue: children in it, by municipality, and by age category.

Counts take each application's current status; ``on_date`` bounds the submission date, decides
whether the desired date has come, and is the date ages are counted on (full years).
An application lies within a unit when its territory is that of an authority of the unit's
subtree (or a district of it), or when it names or was enrolled to an organization of the subtree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db import classifiers
from db.hierarchy import subtree_ids
from db.models import Municipality, OrgUnit, Person, QueueApplication, QueuePreference
from reports.definition import ChartSpec, Column, ReportDefinition, Row
from reports.params import ON_DATE, TERRITORY, ParamValue, date_param
from reports.query import NOT_SPECIFIED, age_label, capped, full_years, municipality_and_districts

IN_QUEUE = ("1", "2")
DIRECTED = "3"
ENROLLED = "4"
NO_PRIVILEGE = "4"
OLDEST_AGE = 7


def application_within(unit_id: int) -> ColumnElement[bool]:
    territories = select(OrgUnit.municipality_id).where(
        OrgUnit.id.in_(subtree_ids(unit_id)), OrgUnit.kind == "authority", OrgUnit.municipality_id.is_not(None)
    )
    districts = select(Municipality.id).where(
        or_(Municipality.id.in_(territories), Municipality.parent_id.in_(territories))
    )
    named = exists().where(
        QueuePreference.application_id == QueueApplication.id,
        QueuePreference.organization_id.in_(subtree_ids(unit_id)),
    )
    return or_(
        QueueApplication.municipality_id.in_(districts),
        QueueApplication.enrolled_organization_id.in_(subtree_ids(unit_id)),
        named,
    )


def queue_filter(params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[ColumnElement[bool]]:
    on_date = date_param(params, "on_date")
    next_day = dt.datetime.combine(on_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    conditions: list[ColumnElement[bool]] = [QueueApplication.submitted_at < next_day]
    unit_id = params.get("unit_id")
    for unit in (scope_unit_id, unit_id if isinstance(unit_id, int) else None):
        if unit is not None:
            conditions.append(application_within(unit))
    municipality_id = params.get("municipality_id")
    if isinstance(municipality_id, int):
        conditions.append(QueueApplication.municipality_id.in_(municipality_and_districts(municipality_id)))
    return conditions


def count_children(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(distinct(case((condition, QueueApplication.child_id))))


def _status_counts(on_date: dt.date) -> tuple[ColumnElement[int], ...]:
    waiting = QueueApplication.status_code.in_(IN_QUEUE)
    return (
        count_children(waiting),
        count_children(and_(waiting, QueueApplication.privilege_code != NO_PRIVILEGE)),
        count_children(and_(waiting, QueueApplication.desired_date <= on_date)),
        count_children(QueueApplication.status_code == DIRECTED),
        count_children(QueueApplication.status_code == ENROLLED),
    )


def by_privilege(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    on_date = date_param(params, "on_date")
    query = (
        select(QueueApplication.privilege_code, *_status_counts(on_date))
        .where(*queue_filter(params, scope_unit_id))
        .group_by(QueueApplication.privilege_code)
    )
    found = {code: tuple(int(value) for value in counts) for code, *counts in session.execute(query)}
    rows: list[Row] = []
    for item in classifiers.items_of(classifiers.QUEUE_PRIVILEGE):
        waiting, _, due, directed, enrolled = found.get(item.code, (0, 0, 0, 0, 0))
        rows.append((item.name, waiting, due, directed, enrolled))
    return rows


def _by_municipality(session: Session, params: Mapping[str, ParamValue], scope: int | None, *counts: Any) -> list[Any]:
    query = (
        select(Municipality.name, *counts)
        .select_from(QueueApplication)
        .join(Municipality, Municipality.id == QueueApplication.municipality_id)
        .where(*queue_filter(params, scope))
        .group_by(Municipality.id, Municipality.name)
    )
    return sorted(session.execute(query), key=lambda row: row[0] or NOT_SPECIFIED)


def by_municipality(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    counts = _status_counts(date_param(params, "on_date"))
    return [
        (name, *(int(value) for value in values))
        for name, *values in _by_municipality(session, params, scope_unit_id, *counts)
    ]


def ages_by_municipality(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    waiting = QueueApplication.status_code.in_(IN_QUEUE)
    # the birth date of a waiting child only, looked up by key: persons outnumber applications
    birth = select(Person.birth_date).where(Person.id == QueueApplication.child_id).scalar_subquery()
    applications = (
        select(
            QueueApplication.municipality_id,
            case((waiting, QueueApplication.child_id)).label("child_id"),
            case((waiting, birth)).label("birth_date"),
        )
        .where(*queue_filter(params, scope_unit_id))
        .cte("applications")
        .prefix_with("MATERIALIZED")  # looked up once per application, not once per use of the age
    )
    age = capped(full_years(applications.c.birth_date, date_param(params, "on_date")), OLDEST_AGE)
    child = applications.c.child_id
    counts = [func.count(distinct(case((age == years, child)))) for years in range(OLDEST_AGE + 1)]
    query = (
        select(Municipality.name, *counts, func.count(distinct(child)))
        .select_from(applications)
        .join(Municipality, Municipality.id == applications.c.municipality_id)
        .group_by(Municipality.id, Municipality.name)
    )
    rows = sorted(session.execute(query), key=lambda row: row[0] or NOT_SPECIFIED)
    return [(name, *(int(value) for value in values)) for name, *values in rows]


STATUS_COLUMNS = (
    Column(key="in_queue", heading="Детей в очереди", total=True),
    Column(key="privileged", heading="из них льготников", total=True),
    Column(key="due", heading="из них с наступившей желаемой датой", total=True),
    Column(key="directed", heading="Направлены в ДОО", total=True),
    Column(key="enrolled", heading="Зачислены в ДОО", total=True),
)

QUEUE_COUNT = ReportDefinition(
    code="QUEUE_COUNT",
    title="Численность детей в очереди в ДОО",
    family="queue",
    params=(ON_DATE, *TERRITORY),
    columns=(
        Column(key="privilege", heading="Категория льготы", type="str"),
        *(column for column in STATUS_COLUMNS if column.key != "privileged"),
    ),
    query=by_privilege,
    chart=ChartSpec(kind="bar", x="privilege", y=("in_queue",)),
)

QUEUE_BY_MUNICIPALITY = ReportDefinition(
    code="QUEUE_BY_MUNICIPALITY",
    title="Численность детей в очереди в ДОО по муниципальным образованиям",
    family="queue",
    params=(ON_DATE, *TERRITORY),
    columns=(Column(key="municipality", heading="Муниципальное образование", type="str"), *STATUS_COLUMNS),
    query=by_municipality,
    chart=ChartSpec(kind="bar", x="municipality", y=("in_queue", "directed")),
)

QUEUE_AGES_BY_MUNICIPALITY = ReportDefinition(
    code="QUEUE_AGES_BY_MUNICIPALITY",
    title="Возрастные категории детей в очереди в ДОО по муниципальным образованиям",
    family="queue",
    params=(ON_DATE, *TERRITORY),
    columns=(
        Column(key="municipality", heading="Муниципальное образование", type="str"),
        *(Column(key=f"age_{years}", heading=age_label(years, OLDEST_AGE), total=True) for years in range(8)),
        Column(key="in_queue", heading="Всего в очереди", total=True),
    ),
    query=ages_by_municipality,
    chart=ChartSpec(kind="stacked-bar", x="municipality", y=tuple(f"age_{years}" for years in range(8))),
)

REPORTS = (QUEUE_COUNT, QUEUE_BY_MUNICIPALITY, QUEUE_AGES_BY_MUNICIPALITY)
