"""Kindergarten queue reports against plain-Python counts over the applications of the test region."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy.orm import Session

from db import classifiers
from reports.catalogue import get_report
from tests.reportdata import (
    CITY,
    CITY_AUTHORITY,
    KINDERGARTEN_1,
    MUNICIPALITIES,
    ON_DATE,
    RURAL_AUTHORITY,
    Application,
    Dataset,
    build_dataset,
    full_years,
    insert_dataset,
)

SCOPES = (None, CITY_AUTHORITY, RURAL_AUTHORITY, KINDERGARTEN_1)


@pytest.fixture
def data(session: Session) -> Dataset:
    dataset = build_dataset()
    insert_dataset(session, dataset)
    return dataset


def in_scope(data: Dataset, scope: int | None) -> list[Application]:
    """Submitted by the end of the snapshot day; in the territory of an authority below the scope or naming
    (or enrolled to) an organization below it."""
    end = dt.datetime.combine(ON_DATE + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    units = data.subtree(scope)
    territories = {data.units[u].municipality_id for u in units if data.units[u].type_code is None} - {None}
    territories |= {muni for muni, (_, parent, _) in MUNICIPALITIES.items() if parent in territories}
    return [
        app
        for app in data.applications
        if app.submitted < end
        and (
            scope is None
            or app.municipality_id in territories
            or app.enrolled_org in units
            or any(org in units for org in app.preferences)
        )
    ]


def _status_counts(apps: list[Application]) -> tuple[int, ...]:
    waiting = [a for a in apps if a.status in ("1", "2")]
    return (
        len({a.child_id for a in waiting}),
        len({a.child_id for a in waiting if a.privilege != "4"}),
        len({a.child_id for a in waiting if a.desired <= ON_DATE}),
        len({a.child_id for a in apps if a.status == "3"}),
        len({a.child_id for a in apps if a.status == "4"}),
    )


def expected_by_privilege(data: Dataset, scope: int | None) -> list[tuple]:
    apps = in_scope(data, scope)
    rows = []
    for item in classifiers.items_of(classifiers.QUEUE_PRIVILEGE):
        waiting, _, due, directed, enrolled = _status_counts([a for a in apps if a.privilege == item.code])
        rows.append((item.name, waiting, due, directed, enrolled))
    return rows


def _by_municipality(data: Dataset, scope: int | None) -> dict[str, list[Application]]:
    groups: dict[str, list[Application]] = defaultdict(list)
    for app in in_scope(data, scope):
        groups[MUNICIPALITIES[app.municipality_id][0]].append(app)
    return groups


def expected_by_municipality(data: Dataset, scope: int | None) -> list[tuple]:
    groups = _by_municipality(data, scope)
    return [(name, *_status_counts(groups[name])) for name in sorted(groups)]


def expected_ages(data: Dataset, scope: int | None) -> list[tuple]:
    groups = _by_municipality(data, scope)
    rows = []
    for name in sorted(groups):
        waiting = [a for a in groups[name] if a.status in ("1", "2")]
        ages = [
            len({a.child_id for a in waiting if min(full_years(data.people[a.child_id].birth, ON_DATE), 7) == years})
            for years in range(8)
        ]
        rows.append((name, *ages, len({a.child_id for a in waiting})))
    return rows


def test_queue_reports(session: Session, data: Dataset) -> None:
    on_date = {"on_date": ON_DATE.isoformat()}
    for scope in SCOPES:
        assert get_report("QUEUE_COUNT").build(session, on_date, scope).rows == expected_by_privilege(data, scope)
        municipalities = get_report("QUEUE_BY_MUNICIPALITY").build(session, on_date, scope)
        assert municipalities.rows == expected_by_municipality(data, scope)
        ages = get_report("QUEUE_AGES_BY_MUNICIPALITY").build(session, on_date, scope)
        assert ages.rows == expected_ages(data, scope)
    city = get_report("QUEUE_BY_MUNICIPALITY").build(session, {**on_date, "municipality_id": CITY}, None)
    city_names = {name for muni, (name, parent, _) in MUNICIPALITIES.items() if CITY in (muni, parent)}
    assert city.rows and {row[0] for row in city.rows} <= city_names
    rural = {row[0] for row in get_report("QUEUE_BY_MUNICIPALITY").build(session, on_date, RURAL_AUTHORITY).rows}
    assert rural == {"Заречный муниципальный район"}
