"""Statistics and load reports against plain-Python counts over the records of the test region."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy.orm import Session

from db import classifiers
from reports.catalogue import get_report
from reports.loads import MANUAL
from tests.reportdata import (
    CITY,
    CITY_AUTHORITY,
    LOADS_FROM,
    LOADS_TO,
    ON_DATE,
    RURAL_AUTHORITY,
    SCHOOL_1,
    SYSTEMS,
    Dataset,
    build_dataset,
    insert_dataset,
)

SCOPES = (None, CITY_AUTHORITY, SCHOOL_1)


@pytest.fixture
def data(session: Session) -> Dataset:
    dataset = build_dataset()
    insert_dataset(session, dataset)
    return dataset


def expected_org_by_type(data: Dataset, scope: int | None, municipalities: set[int] | None = None) -> list[tuple]:
    active = {item.code for item in classifiers.items_of(classifiers.ORG_STATUS) if item.extra["active"]}
    rows = []
    for item in classifiers.items_of(classifiers.ORG_TYPE):
        orgs = [
            unit
            for unit in data.organizations(scope, (item.code,))
            if municipalities is None or unit.municipality_id in municipalities
        ]
        city = sum(unit.is_city for unit in orgs)
        rows.append((item.name, len(orgs), sum(unit.status in active for unit in orgs), city, len(orgs) - city))
    return rows


def expected_students_by_type(data: Dataset, scope: int | None) -> list[tuple]:
    rows = []
    for item in classifiers.items_of(classifiers.ORG_TYPE):
        students = {stay.student_id for stay in data.stays_on(ON_DATE, scope, (item.code,))}
        boys = sum(data.people[student].sex == "1" for student in students)
        girls = len(students) - boys
        share = round(100 * girls / len(students), 2) if students else None
        rows.append((item.name, len(students), boys, girls, share))
    return rows


def test_organizations_and_students_by_type(session: Session, data: Dataset) -> None:
    for scope in SCOPES:
        result = get_report("STAT_ORG_BY_TYPE").build(session, {}, scope)
        assert result.rows == expected_org_by_type(data, scope)
        assert result.totals == ("Итого", *(sum(row[i] for row in result.rows) for i in range(1, 5)))
        students = get_report("STAT_STUDENTS_BY_TYPE").build(session, {"on_date": ON_DATE.isoformat()}, scope)
        assert students.rows == expected_students_by_type(data, scope)
    assert sum(row[1] for row in expected_students_by_type(data, SCHOOL_1)) > 0


def test_territory_parameters_narrow_the_scope(session: Session, data: Dataset) -> None:
    report = get_report("STAT_ORG_BY_TYPE")
    by_city = report.build(session, {"municipality_id": str(CITY)}, None)
    assert by_city.rows == expected_org_by_type(data, None, {1, 2, 3})
    by_unit = report.build(session, {"unit_id": RURAL_AUTHORITY}, None)
    assert by_unit.rows == expected_org_by_type(data, RURAL_AUTHORITY)
    outside = report.build(session, {"unit_id": RURAL_AUTHORITY}, CITY_AUTHORITY)
    assert outside.totals == ("Итого", 0, 0, 0, 0)


def _loads_in(data: Dataset, scope: int | None, system_id: int | None = None) -> list:
    start = dt.datetime.combine(LOADS_FROM, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(LOADS_TO + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    units = data.subtree(scope)
    return [
        load
        for load in data.loads
        if start <= load.started < end
        and (scope is None or load.org_id in units)
        and (system_id is None or load.system_id == system_id)
    ]


def _counts(loads: list) -> tuple[int, ...]:
    return (
        len(loads),
        sum(load.rows_total for load in loads),
        sum(load.rows_applied for load in loads),
        sum(load.rows_rejected for load in loads),
        sum(load.status == "success" for load in loads),
        sum(load.status == "partial" for load in loads),
        sum(load.status == "error" for load in loads),
    )


def expected_dynamics(data: Dataset, scope: int | None, week: bool, system_id: int | None = None) -> list[tuple]:
    buckets: dict[dt.date, list] = defaultdict(list)
    for load in _loads_in(data, scope, system_id):
        day = load.started.date()
        buckets[day - dt.timedelta(days=day.weekday()) if week else day].append(load)
    return [(day.strftime("%d.%m.%Y"), *_counts(buckets[day])) for day in sorted(buckets)]


def expected_by_provider(data: Dataset, scope: int | None) -> list[tuple]:
    groups: dict[str, list] = defaultdict(list)
    for load in _loads_in(data, scope):
        groups[SYSTEMS[load.system_id] if load.system_id else MANUAL].append(load)
    return [(name, *_counts(groups[name])) for name in sorted(groups)]


def test_load_dynamics_by_day_week_and_provider(session: Session, data: Dataset) -> None:
    period = {"date_from": LOADS_FROM.isoformat(), "date_to": LOADS_TO.isoformat()}
    for scope in SCOPES:
        daily = get_report("STAT_LOAD_DYNAMICS").build(session, period, scope)
        assert daily.rows == expected_dynamics(data, scope, week=False)
        weekly = get_report("STAT_LOAD_DYNAMICS").build(session, {**period, "granularity": "week"}, scope)
        assert weekly.rows == expected_dynamics(data, scope, week=True)
        assert weekly.totals == daily.totals
        providers = get_report("STAT_LOAD_BY_PROVIDER").build(session, period, scope)
        assert providers.rows == expected_by_provider(data, scope)
    one = get_report("STAT_LOAD_DYNAMICS").build(session, {**period, "system_id": "1"}, None)
    assert one.rows == expected_dynamics(data, None, week=False, system_id=1)
    region = get_report("STAT_LOAD_DYNAMICS").build(session, period, None)
    assert region.rows[0][0] == "02.09.2024" and region.rows[-1][0] == "22.09.2024"
