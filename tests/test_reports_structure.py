"""Contingent structure reports (age, sex, form, specialty) against plain-Python counts."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy.orm import Session

from db import classifiers
from reports.catalogue import get_report
from reports.query import NOT_SPECIFIED, age_label
from tests.reportdata import (
    CITY_AUTHORITY,
    COLLEGE,
    ON_DATE,
    SCHOOL_1,
    Dataset,
    build_dataset,
    full_years,
    insert_dataset,
)

SCOPES = (None, CITY_AUTHORITY, SCHOOL_1, COLLEGE)


@pytest.fixture
def data(session: Session) -> Dataset:
    dataset = build_dataset()
    insert_dataset(session, dataset)
    return dataset


def _grouped(data: Dataset, scope: int | None, key: object, types: tuple[str, ...] | None = None) -> dict:
    groups: dict = defaultdict(set)
    for stay in data.stays_on(ON_DATE, scope, types):
        groups[key(stay)].add(stay.student_id)  # type: ignore[operator]
    return groups


def _sexes(data: Dataset, students: set[int]) -> tuple[int, int, int]:
    boys = sum(data.people[s].sex == "1" for s in students)
    return len(students), boys, len(students) - boys


def expected_by_age(data: Dataset, scope: int | None, types: tuple[str, ...] | None = None) -> list[tuple]:
    groups = _grouped(data, scope, lambda stay: full_years(data.people[stay.student_id].birth, ON_DATE), types)
    return [(age_label(years), years, *_sexes(data, groups[years])) for years in sorted(groups)]


def expected_by_sex(data: Dataset, scope: int | None) -> list[tuple]:
    groups = _grouped(data, scope, lambda stay: stay.level)
    order = [item.code for item in classifiers.items_of(classifiers.EDUCATION_LEVEL)]
    rows = []
    for code in sorted(groups, key=lambda code: (code not in order, order.index(code) if code in order else 0)):
        students, boys, girls = _sexes(data, groups[code])
        name = classifiers.name_of(classifiers.EDUCATION_LEVEL, code) if code else NOT_SPECIFIED
        rows.append((name, students, boys, girls, round(100 * girls / students, 2)))
    return rows


def expected_by_form(data: Dataset, scope: int | None) -> list[tuple]:
    groups = _grouped(data, scope, lambda stay: stay.form)
    order = [item.code for item in classifiers.items_of(classifiers.EDUCATION_FORM)]
    return [
        (classifiers.name_of(classifiers.EDUCATION_FORM, code), *_sexes(data, groups[code]))
        for code in order
        if code in groups
    ]


def expected_by_specialty(data: Dataset, scope: int | None) -> list[tuple]:
    groups = _grouped(data, scope, lambda stay: stay.specialty)
    return [
        (code, classifiers.name_of(classifiers.SPO_SPECIALTY, code), *_sexes(data, groups[code]))
        for code in sorted(code for code in groups if code)
    ]


def test_structure_reports(session: Session, data: Dataset) -> None:
    on_date = {"on_date": ON_DATE.isoformat()}
    for scope in SCOPES:
        assert get_report("STRUCT_BY_AGE").build(session, on_date, scope).rows == expected_by_age(data, scope)
        by_sex = get_report("STRUCT_BY_SEX").build(session, on_date, scope)
        assert by_sex.rows == expected_by_sex(data, scope)
        assert get_report("STRUCT_BY_FORM").build(session, on_date, scope).rows == expected_by_form(data, scope)
        specialty = get_report("STRUCT_BY_SPECIALTY").build(session, on_date, scope)
        assert specialty.rows == expected_by_specialty(data, scope)
    preschool = get_report("STRUCT_BY_AGE").build(session, {**on_date, "org_type": "11"}, None)
    assert preschool.rows == expected_by_age(data, None, ("11",))
    region = get_report("STRUCT_BY_SEX").build(session, on_date, None)
    assert region.totals is not None and region.totals[-1] == round(100 * region.totals[3] / region.totals[1], 2)
