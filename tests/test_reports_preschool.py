"""Kindergarten (ДОО) reports against plain-Python counts over the records of the test region."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy.orm import Session

from db import classifiers
from reports.catalogue import get_report
from reports.query import NOT_SPECIFIED
from tests.reportdata import (
    CITY_AUTHORITY,
    DATE_FROM,
    DATE_TO,
    KINDERGARTEN_1,
    MUNICIPALITIES,
    ON_DATE,
    Dataset,
    build_dataset,
    full_years,
    insert_dataset,
    movement,
)

SCOPES = (None, CITY_AUTHORITY, KINDERGARTEN_1)
PRESCHOOL = ("11",)


@pytest.fixture
def data(session: Session) -> Dataset:
    dataset = build_dataset()
    insert_dataset(session, dataset)
    return dataset


def _name(classifier: str, code: str | None) -> str:
    return classifiers.name_of(classifier, code) if code else NOT_SPECIFIED


def expected_ownership(data: Dataset, scope: int | None) -> list[tuple]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for unit in data.organizations(scope, PRESCHOOL):
        counts[(unit.okfs or "", unit.okopf or "")] += 1
    return [
        (okfs, _name(classifiers.OKFS, okfs), okopf, _name(classifiers.OKOPF, okopf), counts[(okfs, okopf)])
        for okfs, okopf in sorted(counts)
    ]


def _ordered(classifier: str, table: dict) -> list[tuple]:
    order = [item.code for item in classifiers.items_of(classifier)]
    codes = [code for code in order if code in table] + [code for code in table if code not in order]
    return [(_name(classifier, code), *table[code]) for code in codes]


def expected_activity(data: Dataset, scope: int | None) -> list[tuple]:
    orgs: dict[str | None, int] = defaultdict(int)
    pupils: dict[str | None, set[int]] = defaultdict(set)
    stays = data.stays_on(ON_DATE, scope, PRESCHOOL)
    for unit in data.organizations(scope, PRESCHOOL):
        orgs[unit.activity] += 1
        pupils[unit.activity] |= {stay.student_id for stay in stays if stay.org_id == unit.id}
    return _ordered(classifiers.PRESCHOOL_ACTIVITY, {code: (orgs[code], len(pupils[code])) for code in orgs})


def expected_by_age(data: Dataset, scope: int | None) -> list[tuple]:
    stays = data.stays_on(ON_DATE, scope, PRESCHOOL)
    rows = []
    labels = ["до 1 года", "1 год", "2 года", "3 года", "4 года", "5 лет", "6 лет", "7 лет и старше"]
    for years, label in enumerate(labels):
        pupils = {s.student_id for s in stays if min(full_years(data.people[s.student_id].birth, ON_DATE), 7) == years}
        boys = sum(data.people[pupil].sex == "1" for pupil in pupils)
        rows.append((label, len(pupils), boys, len(pupils) - boys))
    return rows


def expected_by_group_attribute(data: Dataset, scope: int | None, attribute: str, classifier: str) -> list[tuple]:
    table: dict[str | None, tuple[set, set]] = {}
    for stay in data.stays_on(ON_DATE, scope, PRESCHOOL):
        group = data.groups.get(stay.group_id) if stay.group_id else None
        code = getattr(group, attribute) if group else None
        groups, pupils = table.setdefault(code, (set(), set()))
        if group:
            groups.add(group.id)
        pupils.add(stay.student_id)
    return _ordered(classifier, {code: (len(g), len(p)) for code, (g, p) in table.items()})


def expected_migration(data: Dataset, scope: int | None) -> list[tuple]:
    rows = []
    for unit in data.organizations(scope, PRESCHOOL):
        stays = [
            s
            for s in data.stays
            if s.org_id == unit.id
            and (DATE_FROM <= s.entry <= DATE_TO or (s.exit is not None and DATE_FROM <= s.exit <= DATE_TO))
        ]
        if stays:
            municipality = MUNICIPALITIES[unit.municipality_id][0] if unit.municipality_id else ""
            rows.append((unit.name, municipality, *movement(data, stays)))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def test_preschool_reports(session: Session, data: Dataset) -> None:
    on_date = {"on_date": ON_DATE.isoformat()}
    period = {"date_from": DATE_FROM.isoformat(), "date_to": DATE_TO.isoformat()}
    for scope in SCOPES:
        assert get_report("DOO_OWNERSHIP").build(session, {}, scope).rows == expected_ownership(data, scope)
        assert get_report("DOO_ACTIVITY_KIND").build(session, on_date, scope).rows == expected_activity(data, scope)
        assert get_report("DOO_PUPILS_BY_AGE").build(session, on_date, scope).rows == expected_by_age(data, scope)
        regime = get_report("DOO_PUPILS_BY_REGIME").build(session, on_date, scope)
        assert regime.rows == expected_by_group_attribute(data, scope, "regime", classifiers.GROUP_REGIME)
        orientation = get_report("DOO_PUPILS_BY_ORIENTATION").build(session, on_date, scope)
        assert orientation.rows == expected_by_group_attribute(
            data, scope, "orientation", classifiers.GROUP_ORIENTATION
        )
        migration = get_report("DOO_MIGRATION").build(session, period, scope)
        assert migration.rows == expected_migration(data, scope)
    region = get_report("DOO_MIGRATION").build(session, period, None)
    assert region.totals is not None and region.totals[3] == 1  # the transfer from the city to the rural kindergarten
    ages = {row[0]: row[1] for row in get_report("DOO_PUPILS_BY_AGE").build(session, on_date, None).rows}
    assert ages["до 1 года"] == 1 and ages["3 года"] == expected_by_age(data, None)[3][1]
